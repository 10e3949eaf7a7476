//! Runtime behaviour of `#[signal]` handlers: what they declare, how calls are decoded, and
//! how the router treats them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use switchboard::ErrorCode;
use switchboard::{signal, SignalContext, SignalError, User, WindowInfo};
use switchboard::{BuildError, Opts, SignalHandler, SignalRouter};

/// Handlers declared in a nested module, to check default signal names.
mod chat {
    use super::*;

    /// Sends a chat message (server-only: no `allowed`).
    #[signal]
    pub async fn send(_ctx: SignalContext, room: String) -> Result<String, SignalError> {
        Ok(room)
    }

    /// Edits a message; declares every attribute argument.
    #[signal(timeout_ms = 1500, queue = "edits", allowed = staff, path = "chat.edit")]
    pub async fn edit(_ctx: SignalContext) -> Result<(), SignalError> {
        Ok(())
    }
}

/// Adds two numbers.
#[signal(path = "calc.add", allowed = everyone)]
async fn add(_ctx: SignalContext, a: i64, b: i64) -> Result<i64, SignalError> {
    Ok(a + b)
}

/// Greets, with an optional name and a raw-identifier argument.
#[signal(path = "greet", allowed = everyone)]
async fn greet(
    _ctx: SignalContext,
    name: Option<String>,
    r#type: String,
) -> Result<String, SignalError> {
    Ok(format!(
        "{type}: hello {}",
        name.as_deref().unwrap_or("you")
    ))
}

/// Takes one named argument and every other option through `#[opts]`.
#[signal(path = "rest.last", allowed = everyone)]
async fn rest_last(
    _ctx: SignalContext,
    first: String,
    #[opts] rest: Opts,
) -> Result<Value, SignalError> {
    Ok(json!({ "first": first, "rest": rest }))
}

/// `#[opts]` need not be the last parameter.
#[signal(path = "rest.middle", allowed = everyone)]
async fn rest_middle(
    _ctx: SignalContext,
    #[opts] rest: Opts,
    last: u8,
) -> Result<Value, SignalError> {
    Ok(json!({ "rest": rest, "last": last }))
}

/// A parameter named like the generated code's own variables.
#[signal(path = "names.clash", allowed = everyone)]
async fn clash(_ctx: SignalContext, opts: u8, ctx: u8) -> Result<u8, SignalError> {
    Ok(opts + ctx)
}

/// What the context tells a handler.
#[derive(Serialize)]
struct Seen {
    /// The signal being handled.
    signal: String,
    /// Whether a browser called.
    from_browser: bool,
    /// The caller's user id.
    user: Option<String>,
}

/// Reports its context.
#[signal(path = "ctx.seen", allowed = authenticated)]
async fn seen(ctx: SignalContext) -> Result<Seen, SignalError> {
    Ok(Seen {
        signal: ctx.signal().to_owned(),
        from_browser: ctx.is_from_browser(),
        user: ctx.user().map(|u| u.id.clone()),
    })
}

/// Refuses every call.
#[signal(path = "always.refuses", allowed = everyone)]
async fn refuses(_ctx: SignalContext) -> Result<(), SignalError> {
    Err(SignalError::forbidden("not today"))
}

/// Only for superusers.
#[signal(path = "admin.only", allowed = superuser)]
async fn admin_only(_ctx: SignalContext) -> Result<&'static str, SignalError> {
    Ok("root")
}

/// Only for holders of `blog.edit`.
#[signal(path = "blog.edit", allowed = has_perm("blog.edit"))]
async fn blog_edit(_ctx: SignalContext) -> Result<bool, SignalError> {
    Ok(true)
}

/// A permission check written by the application.
fn is_ann(window: &WindowInfo) -> bool {
    window.user.as_ref().is_some_and(|u| u.username == "ann")
}

/// Allowed by an application function.
#[signal(path = "ann.fn", allowed = is_ann)]
async fn ann_fn(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

/// Allowed by a closure.
#[signal(path = "ann.closure", allowed = |w| w.user.as_ref().is_some_and(|u| u.username == "ann"))]
async fn ann_closure(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

/// Sleeps longer than its time limit.
#[signal(path = "slow", allowed = everyone, timeout_ms = 20, queue = "slow")]
async fn slow(_ctx: SignalContext) -> Result<(), SignalError> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    Ok(())
}

/// Calls of the first handler of `shared.ping`.
static PING_A: AtomicUsize = AtomicUsize::new(0);
/// Calls of the second handler of `shared.ping`.
static PING_B: AtomicUsize = AtomicUsize::new(0);

/// First handler of `shared.ping`: counts, returns nothing. Every handler of a signal gets
/// the same options, so this one accepts (and ignores) them all.
#[signal(path = "shared.ping", allowed = everyone)]
async fn ping_a(_ctx: SignalContext, #[opts] _opts: Opts) -> Result<(), SignalError> {
    PING_A.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Second handler of `shared.ping`: counts, returns a value.
#[signal(path = "shared.ping", allowed = everyone)]
async fn ping_b(_ctx: SignalContext, n: u32) -> Result<u32, SignalError> {
    PING_B.fetch_add(1, Ordering::SeqCst);
    Ok(n + 1)
}

/// A router with every handler above.
fn router() -> SignalRouter {
    SignalRouter::builder()
        .signal(chat::send)
        .signal(chat::edit)
        .signal(add)
        .signal(greet)
        .signal(rest_last)
        .signal(rest_middle)
        .signal(clash)
        .signal(seen)
        .signal(refuses)
        .signal(admin_only)
        .signal(blog_edit)
        .signal(ann_fn)
        .signal(ann_closure)
        .signal(slow)
        .signal(ping_a)
        .signal(ping_b)
        .build()
        .expect("the handlers are valid")
}

/// An anonymous window.
fn anonymous() -> Arc<WindowInfo> {
    Arc::new(WindowInfo::default())
}

/// A window of a user.
fn window_of(user: User) -> Arc<WindowInfo> {
    Arc::new(WindowInfo {
        user: Some(user),
        ..WindowInfo::default()
    })
}

/// The options of a call, from a JSON object.
fn opts(value: Value) -> Opts {
    match value {
        Value::Object(map) => map,
        other => panic!("options must be an object, not {other}"),
    }
}

/// Calls `signal` from an anonymous window.
async fn call(signal: &str, options: Value) -> Result<Value, SignalError> {
    router().call(anonymous(), signal, opts(options)).await
}

/// Asserts an `invalid_arguments` error whose message contains `part`.
fn assert_invalid(result: Result<Value, SignalError>, part: &str) {
    let error = result.expect_err("the call must fail");
    assert_eq!(error.code(), ErrorCode::InvalidArguments, "{error}");
    assert!(error.message().contains(part), "{error}");
}

#[test]
fn default_path_and_name_come_from_the_module_path() {
    let spec = chat::send.spec();
    assert_eq!(spec.path, "signal_macro.chat.send");
    assert_eq!(spec.name, "signal_macro::chat::send");
    assert!(!spec.allowed.is_browser_callable());
    assert_eq!(spec.queue, "default");
    assert_eq!(spec.timeout, None);
}

#[test]
fn declared_arguments_end_up_in_the_spec() {
    let spec = chat::edit.spec();
    assert_eq!(spec.path, "chat.edit");
    assert_eq!(spec.name, "signal_macro::chat::edit");
    assert_eq!(spec.queue, "edits");
    assert_eq!(spec.timeout, Some(Duration::from_millis(1500)));
    let staff = User {
        id: "1".into(),
        is_staff: true,
        ..User::default()
    };
    assert!(spec.allowed.allows(&window_of(staff)));
    assert!(!spec.allowed.allows(&anonymous()));
}

#[tokio::test]
async fn arguments_are_decoded_by_name() {
    assert_eq!(
        call("calc.add", json!({"b": 2, "a": 40})).await.unwrap(),
        42
    );
}

#[tokio::test]
async fn a_missing_argument_is_named() {
    assert_invalid(
        call("calc.add", json!({"a": 1})).await,
        "missing argument `b`",
    );
}

#[tokio::test]
async fn a_mistyped_argument_is_named() {
    assert_invalid(
        call("calc.add", json!({"a": "one", "b": 2})).await,
        "argument `a`",
    );
}

#[tokio::test]
async fn an_extra_argument_is_refused() {
    let result = call("calc.add", json!({"a": 1, "b": 2, "c": 3})).await;
    assert_invalid(result, "unexpected argument `c`");
}

#[tokio::test]
async fn option_parameters_are_optional_and_raw_names_are_unraw() {
    let without = call("greet", json!({"type": "hi"})).await.unwrap();
    assert_eq!(without, "hi: hello you");
    let with = call("greet", json!({"type": "hi", "name": "Ann"}))
        .await
        .unwrap();
    assert_eq!(with, "hi: hello Ann");
    assert_invalid(call("greet", json!({})).await, "missing argument `type`");
}

#[tokio::test]
async fn opts_receives_the_leftover_options() {
    let result = call("rest.last", json!({"first": "a", "x": 1, "y": [2]})).await;
    assert_eq!(
        result.unwrap(),
        json!({"first": "a", "rest": {"x": 1, "y": [2]}})
    );
    let result = call("rest.middle", json!({"last": 7})).await;
    assert_eq!(result.unwrap(), json!({"rest": {}, "last": 7}));
    assert_invalid(
        call("rest.last", json!({"x": 1})).await,
        "missing argument `first`",
    );
}

#[tokio::test]
async fn parameters_may_reuse_the_generated_code_names() {
    let result = call("names.clash", json!({"opts": 1, "ctx": 2})).await;
    assert_eq!(result.unwrap(), 3);
}

#[tokio::test]
async fn the_context_describes_the_call() {
    let ann = User {
        id: "7".into(),
        username: "ann".into(),
        ..User::default()
    };
    let result = router()
        .call(window_of(ann), "ctx.seen", Opts::new())
        .await
        .unwrap();
    assert_eq!(
        result,
        json!({"signal": "ctx.seen", "from_browser": true, "user": "7"})
    );
}

#[tokio::test]
async fn handler_errors_reach_the_caller() {
    let error = call("always.refuses", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(error.message(), "not today");
}

#[tokio::test]
async fn server_only_handlers_are_unknown_to_browsers() {
    let error = call("signal_macro.chat.send", json!({"room": "r"}))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::UnknownSignal);
}

#[tokio::test]
async fn permission_checks_apply() {
    let error = call("admin.only", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let root = User {
        id: "0".into(),
        is_superuser: true,
        ..User::default()
    };
    let result = router()
        .call(window_of(root), "admin.only", Opts::new())
        .await;
    assert_eq!(result.unwrap(), "root");

    let editor = User {
        id: "1".into(),
        perms: vec!["blog.edit".into()],
        ..User::default()
    };
    let result = router()
        .call(window_of(editor), "blog.edit", Opts::new())
        .await;
    assert_eq!(result.unwrap(), true);
    let error = call("blog.edit", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn application_functions_and_closures_are_checks() {
    let ann = User {
        id: "2".into(),
        username: "ann".into(),
        ..User::default()
    };
    for signal in ["ann.fn", "ann.closure"] {
        let result = router()
            .call(window_of(ann.clone()), signal, Opts::new())
            .await;
        assert_eq!(result.unwrap(), Value::Null, "{signal}");
        let error = call(signal, json!({})).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden, "{signal}");
    }
}

#[tokio::test]
async fn the_declared_time_limit_applies() {
    let spec = slow.spec();
    assert_eq!(spec.timeout, Some(Duration::from_millis(20)));
    assert_eq!(spec.queue, "slow");
    let error = call("slow", json!({})).await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Timeout);
}

#[test]
fn registering_one_function_twice_is_refused() {
    let error = SignalRouter::builder()
        .signal(add)
        .signal(greet)
        .signal(add)
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        BuildError::Duplicate {
            path: "calc.add".into(),
            name: "signal_macro::add",
        }
    );
}

#[tokio::test]
async fn handlers_sharing_a_signal_all_run() {
    let result = call("shared.ping", json!({"n": 41})).await;
    assert_eq!(result.unwrap(), 42);
    assert_eq!(PING_A.load(Ordering::SeqCst), 1);
    assert_eq!(PING_B.load(Ordering::SeqCst), 1);
}

#[test]
fn the_allowed_module_is_the_one_the_macro_uses() {
    assert!(switchboard::allowed::everyone(&WindowInfo::default()));
}
