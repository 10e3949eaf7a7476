//! Every attribute argument and parameter form, with warnings denied so that the expansion
//! must be warning-free.
#![deny(warnings, missing_docs)]

use std::time::Duration;

use switchboard::{Opts, SignalHandler, SignalRouter};
use switchboard::{signal, SignalContext, SignalError, WindowInfo};

/// A check of the application's own.
fn is_ann(window: &WindowInfo) -> bool {
    window.user.as_ref().is_some_and(|u| u.username == "ann")
}

/// Sends a chat message.
#[signal(path = "chat.send", allowed = everyone, queue = "chat", timeout_ms = 5_000)]
pub async fn send(
    ctx: SignalContext,
    room: String,
    text: String,
) -> Result<impl serde::Serialize, SignalError> {
    let _ = ctx.signal();
    Ok(format!("{room}: {text}"))
}

/// Arguments in any order, a permission with an argument, a raw name, `mut`, `Option`.
#[signal(timeout_ms = 10, allowed = has_perm("blog.edit"), path = "blog.edit")]
pub(crate) async fn edit(
    _ctx: SignalContext,
    mut r#type: String,
    limit: Option<u32>,
) -> Result<String, SignalError> {
    r#type.push('!');
    Ok(format!("{type} {limit:?}"))
}

/// `#[opts]` between named parameters; other attributes stay on the function.
#[signal(allowed = |w| is_ann(w) || superuser(w))]
#[allow(clippy::needless_pass_by_value)]
async fn count(
    _ctx: SignalContext,
    first: u8,
    #[opts] others: Opts,
    last: bool,
) -> Result<usize, SignalError> {
    Ok(usize::from(first) + others.len() + usize::from(last))
}

/// An application function as the check.
#[signal(allowed = is_ann)]
async fn ann(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

/// Checks names and other values declared by the handlers.
fn main() {
    assert_eq!(send.spec().path, "chat.send");
    assert_eq!(send.spec().queue, "chat");
    assert_eq!(send.spec().timeout, Some(Duration::from_secs(5)));
    assert_eq!(edit.spec().name, concat!(module_path!(), "::edit"));
    assert_eq!(count.spec().path, format!("{}.count", module_path!()));
    assert!(ann.spec().allowed.is_browser_callable());
    let handler: &dyn SignalHandler = &send;
    assert_eq!(format!("{send:?}"), "send");
    let _ = handler;
    SignalRouter::builder()
        .signal(send)
        .signal(edit)
        .signal(count)
        .signal(ann)
        .build()
        .unwrap();
}
