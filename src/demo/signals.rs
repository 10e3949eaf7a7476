//! The demo's chat and utility signals.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::signal::Opts;
use crate::topic::TopicName;
use crate::{signal, SignalContext, SignalError, To, TriggerError};

/// Longest chat message, in characters.
const MAX_TEXT_CHARS: usize = 2000;

/// Longest room name, in characters.
const MAX_ROOM_CHARS: usize = 64;

/// Longest sleep of `demo.slow`, in milliseconds.
const MAX_SLOW_MS: u64 = 10_000;

/// Milliseconds since the Unix epoch, for message timestamps.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The topic of a chat room, after checking its name.
fn room_topic(room: &str) -> Result<TopicName, SignalError> {
    let chars = room.chars().count();
    if chars == 0 || chars > MAX_ROOM_CHARS || room.chars().any(char::is_control) {
        return Err(SignalError::invalid_arguments(format!(
            "argument `room`: 1 to {MAX_ROOM_CHARS} characters, no control characters"
        )));
    }
    Ok(TopicName::new(format!("room:{room}"))?)
}

/// Replies with its options, and also sends them back to the calling window as a signal.
#[signal(path = "demo.echo", allowed = everyone)]
pub async fn echo(ctx: SignalContext, #[opts] opts: Opts) -> Result<Opts, SignalError> {
    ctx.trigger("demo.echo", To::Window, &opts).await?;
    Ok(opts)
}

/// Replies with its options, and nothing else: one request, one reply frame (the benchmark's
/// like-for-like round trip against a server that answers each request with one frame).
#[signal(path = "demo.mirror", allowed = everyone)]
pub async fn mirror(_ctx: SignalContext, #[opts] opts: Opts) -> Result<Opts, SignalError> {
    Ok(opts)
}

/// Adds the calling window to the topic `room:<room>`.
#[signal(path = "demo.join", allowed = everyone)]
pub async fn join(ctx: SignalContext, room: String) -> Result<Value, SignalError> {
    let topic = room_topic(&room)?;
    ctx.join([topic.clone()]).await?;
    Ok(json!({ "topic": topic }))
}

/// Removes the calling window from the topic `room:<room>`.
#[signal(path = "demo.leave", allowed = everyone)]
pub async fn leave(ctx: SignalContext, room: String) -> Result<Value, SignalError> {
    let topic = room_topic(&room)?;
    ctx.leave([topic.clone()]).await?;
    Ok(json!({ "topic": topic }))
}

/// Sends `demo.message` to everyone in a room the caller is a member of. While the broker
/// cannot reach the other nodes (a Redis outage), the windows of this node still get it,
/// and that is enough for a chat: the call succeeds and the partial delivery is logged.
#[signal(path = "demo.say", allowed = everyone)]
pub async fn say(ctx: SignalContext, room: String, text: String) -> Result<(), SignalError> {
    let topic = room_topic(&room)?;
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(SignalError::invalid_arguments(format!(
            "argument `text`: 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    let topics = ctx.topics().await?;
    if !topics.contains(topic.as_str()) {
        return Err(SignalError::forbidden(format!("join `{room}` first")));
    }
    let from = ctx.user().map_or("anonymous", |u| u.username.as_str());
    let message = json!({"room": room, "text": text, "from": from, "at": now_ms()});
    match ctx.trigger("demo.message", To::Topic(topic), message).await {
        Ok(_) => Ok(()),
        Err(TriggerError::LocalOnly { signal_id, source }) => {
            tracing::warn!(%signal_id, error = %source, "demo.say reached this node's windows only");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Adds two integers.
#[signal(path = "demo.add", allowed = everyone)]
pub async fn add(_ctx: SignalContext, a: i64, b: i64) -> Result<i64, SignalError> {
    a.checked_add(b)
        .ok_or_else(|| SignalError::invalid_arguments("`a` + `b` overflows a 64-bit integer"))
}

/// Who the calling window is.
#[signal(path = "demo.whoami", allowed = everyone)]
pub async fn whoami(ctx: SignalContext) -> Result<Value, SignalError> {
    Ok(json!({"anonymous": ctx.user().is_none(), "user": ctx.user()}))
}

/// Only superusers may call it.
#[signal(path = "demo.admin", allowed = superuser)]
pub async fn admin(_ctx: SignalContext) -> Result<&'static str, SignalError> {
    Ok("ok")
}

/// Sleeps `ms` milliseconds (at most 10 s) on the `slow` queue, then replies "done".
#[signal(path = "demo.slow", allowed = everyone, queue = "slow")]
pub async fn slow(_ctx: SignalContext, ms: u64) -> Result<&'static str, SignalError> {
    if ms > MAX_SLOW_MS {
        return Err(SignalError::invalid_arguments(format!(
            "argument `ms`: at most {MAX_SLOW_MS}"
        )));
    }
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok("done")
}
