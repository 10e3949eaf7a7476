//! The `#[signal]` attribute macro of Switchboard, re-exported as `switchboard::signal`.
//!
//! `#[signal]` turns an `async fn` into a signal handler that a `SignalRouter` can register.
//! The function keeps its body and types; the macro adds what the router needs: the handler's
//! declaration (signal name, permissions, queue, time limit) and the decoding of a call's JSON
//! options into the function's typed arguments.
//!
//! ```text
//! use switchboard::{signal, SignalContext, SignalError};
//!
//! /// Sends a chat message.
//! #[signal(path = "chat.send", allowed = authenticated, timeout_ms = 5000)]
//! pub async fn send(ctx: SignalContext, room: String, text: String) -> Result<(), SignalError> {
//!     ctx.trigger("chat.message", To::topic(room)?, serde_json::json!({ "text": text })).await?;
//!     Ok(())
//! }
//!
//! let router = SignalRouter::builder().signal(send).build()?;
//! ```
//!
//! # How it works
//!
//! Like actix-web's route macros, the macro replaces the function's name with a unit struct
//! of the same name and visibility, carrying the function's doc comments, and implements
//! `SignalHandler` for it. The function itself is kept, unchanged, as a private hidden
//! function `__switchboard_signal_<name>` next to it. For the example above:
//!
//! ```text
//! /// Sends a chat message.
//! pub struct send;
//!
//! impl SignalHandler for send {
//!     fn spec(&self) -> HandlerSpec {
//!         HandlerSpec { path: "chat.send".into(), name: "my_app::chat::send", .. }
//!     }
//!     fn call(&self, ctx: SignalContext, mut opts: Opts) -> HandlerFuture {
//!         Box::pin(async move {
//!             let room = arg::<String>(&mut opts, "room")?;
//!             let text = arg::<String>(&mut opts, "text")?;
//!             no_extra(&opts)?;
//!             into_result(__switchboard_signal_send(ctx, room, text).await)
//!         })
//!     }
//! }
//!
//! async fn __switchboard_signal_send(ctx: SignalContext, room: String, text: String)
//!     -> Result<(), SignalError> { /* the body as written */ }
//! ```
//!
//! The generated code only uses `::switchboard::__private`, so the crate using the macro must
//! depend on `switchboard` under that name (inside the `switchboard` crate itself, via
//! `extern crate self as switchboard;`).
//!
//! # Modules
//!
//! - `args`: parsing and checking the attribute's arguments.
//! - `handler`: checking the function and reading its parameters.
//! - `expand`: generating the struct, its impl and the renamed function.
//! - `name`: the signal name rule.
//! - `errors`: collecting every error before reporting.

mod args;
mod errors;
mod expand;
mod handler;
mod name;

use proc_macro::TokenStream;

/// Declares a signal handler: an `async fn` that browsers (when allowed) and server code can
/// call by signal name.
///
/// # Arguments
///
/// All optional, in any order:
///
/// - `path = "chat.send"`: the signal name: dot-separated identifiers
///   (`[_A-Za-z][_A-Za-z0-9]*`), at most 128 bytes. Defaults to the module path and function
///   name joined by dots (`my_app::chat::send` → `my_app.chat.send`). Several handlers may
///   share one signal name; a call runs them all.
/// - `allowed = <check>`: who may call the handler from a browser. Without it the handler is
///   server-only: browsers get `unknown_signal`, server-side triggers still run it. The check
///   is any expression of a type `Fn(&WindowInfo) -> bool + Send + Sync + 'static`, evaluated
///   with the checks of `switchboard::allowed` in scope: `everyone`, `authenticated`,
///   `anonymous`, `staff`, `superuser`, `has_perm("app.codename")`, or your own function or
///   closure. (Those names win over your own items of the same name; write `self::name` for
///   yours.)
/// - `queue = "name"`: the named handler queue it runs on (`"default"` when not given); each
///   queue has its own concurrency limit.
/// - `timeout_ms = 5000`: its time limit in milliseconds; the router's default when not given.
///
/// # Parameters
///
/// - The first parameter receives the call's `SignalContext`.
/// - Every other parameter is decoded, with serde, from the option of the same name (a raw
///   identifier `r#type` reads `type`). A missing option decodes from `null`, so an
///   `Option<T>` parameter is optional and any other reports `invalid_arguments` naming the
///   argument. Parameters must be plain names (`mut` is fine) of owned types.
/// - Options that no parameter takes are refused (`unexpected argument`), unless one parameter
///   of type `Opts` is marked `#[opts]`: it then receives them all, like Python's `**kwargs`.
///
/// The function returns `Result<T, SignalError>` with `T: Serialize`; its value is the call's
/// result. Its future must be `Send`.
///
/// # Caveats
///
/// The function's name now names a unit struct. The function cannot call itself by that name,
/// and, since a unit struct is also a value, no parameter or `let` binding of the same module
/// may reuse that name (the compiler reports it as "cannot shadow unit structs").
///
/// # Errors
///
/// The macro refuses, with an error on the offending tokens: a function that is not
/// `async fn`, is generic, `unsafe`, variadic or takes `self`; a missing context parameter;
/// parameters that are patterns, references or `impl Trait`; more than one `#[opts]`; unknown
/// or duplicate arguments, values of the wrong kind, an invalid signal name, an empty queue
/// name and a zero timeout.
#[proc_macro_attribute]
pub fn signal(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::signal(attr.into(), item.into()).into()
}
