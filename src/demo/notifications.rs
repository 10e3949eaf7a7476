//! The demo's notifications: an unread count and recent items per user, read on connect
//! (`demo.notifications`) and pushed from an HTTP view (`POST /demo/notify`) as
//! `demo.notification` — the flow of a Django app moving from polling to pushes.

use std::collections::{HashMap, VecDeque};

use actix_web::{web, HttpRequest, HttpResponse};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::signals::now_ms;
use crate::http::{json_body, ApiError, CallingWindow};
use crate::{signal, SignalContext, SignalError, To};

/// Recent notifications kept per user.
const RECENT: usize = 20;

/// Users whose inboxes are kept; beyond it an arbitrary inbox is forgotten (it is a demo).
const MAX_USERS: usize = 10_000;

/// Largest body of `POST /demo/notify`.
const MAX_BODY: usize = 8 * 1024;

/// One notification.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Increasing per user.
    id: u64,
    /// Short title.
    title: String,
    /// The text.
    message: String,
    /// `info`, `success`, `warning` or `error`.
    level: String,
    /// Milliseconds since the epoch.
    at: u64,
}

/// One user's inbox.
#[derive(Debug, Default)]
struct Inbox {
    /// Notifications not read yet.
    unread: u64,
    /// The most recent ones, newest first.
    recent: VecDeque<Notification>,
    /// Id of the next notification.
    next_id: u64,
}

/// Inboxes of every user, shared by the signal handlers and the view.
#[derive(Debug, Default)]
pub struct Notifications {
    /// User id → inbox; the lock is never held across an await.
    inboxes: Mutex<HashMap<String, Inbox>>,
}

impl Notifications {
    fn push(
        &self,
        user: &str,
        title: String,
        message: String,
        level: String,
    ) -> (Notification, u64) {
        let mut inboxes = self.inboxes.lock();
        if inboxes.len() >= MAX_USERS && !inboxes.contains_key(user) {
            if let Some(evicted) = inboxes.keys().next().cloned() {
                inboxes.remove(&evicted);
            }
        }
        let inbox = inboxes.entry(user.to_owned()).or_default();
        inbox.next_id += 1;
        inbox.unread += 1;
        let notification = Notification {
            id: inbox.next_id,
            title,
            message,
            level,
            at: now_ms(),
        };
        inbox.recent.push_front(notification.clone());
        inbox.recent.truncate(RECENT);
        (notification, inbox.unread)
    }

    fn summary(&self, user: &str) -> Value {
        let inboxes = self.inboxes.lock();
        match inboxes.get(user) {
            Some(inbox) => json!({"unread": inbox.unread, "recent": inbox.recent}),
            None => json!({"unread": 0, "recent": []}),
        }
    }

    fn read_all(&self, user: &str) {
        if let Some(inbox) = self.inboxes.lock().get_mut(user) {
            inbox.unread = 0;
        }
    }
}

fn inboxes(ctx: &SignalContext) -> Result<&Notifications, SignalError> {
    ctx.data::<Notifications>()
        .ok_or_else(|| SignalError::handler("notifications are not set up"))
}

fn user_id(ctx: &SignalContext) -> Result<&str, SignalError> {
    ctx.user()
        .map(|u| u.id.as_str())
        .ok_or_else(|| SignalError::forbidden("log in to see notifications"))
}

/// The caller's unread count and recent notifications (read when the page connects).
#[signal(path = "demo.notifications", allowed = authenticated)]
pub async fn list(ctx: SignalContext) -> Result<Value, SignalError> {
    Ok(inboxes(&ctx)?.summary(user_id(&ctx)?))
}

/// Marks the caller's notifications as read.
#[signal(path = "demo.read_all", allowed = authenticated)]
pub async fn read_all(ctx: SignalContext) -> Result<Value, SignalError> {
    inboxes(&ctx)?.read_all(user_id(&ctx)?);
    Ok(json!({"unread": 0}))
}

/// Body of `POST /demo/notify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notify {
    /// Short title.
    #[serde(default = "default_title")]
    title: String,
    /// The text.
    message: String,
    /// `info`, `success`, `warning` or `error`.
    #[serde(default = "default_level")]
    level: String,
    /// Send to every window instead of the caller's user.
    #[serde(default)]
    broadcast: bool,
}

fn default_title() -> String {
    "Notification".into()
}

fn default_level() -> String {
    "info".into()
}

/// `POST /demo/notify`: a view that pushes a notification to the calling page's user (or to
/// everyone), the way an application view would after saving something.
pub(super) async fn notify(
    req: HttpRequest,
    window: CallingWindow,
    payload: web::Payload,
    state: web::Data<crate::http::AppState>,
) -> Result<HttpResponse, ApiError> {
    let notify: Notify = json_body(&req, payload, MAX_BODY).await?;
    if !["info", "success", "warning", "error"].contains(&notify.level.as_str()) {
        return Err(ApiError::bad_request(
            "`level`: one of info, success, warning, error",
        ));
    }
    if notify.message.is_empty() || notify.message.chars().count() > 500 {
        return Err(ApiError::bad_request("`message`: 1 to 500 characters"));
    }
    let signal_id = if notify.broadcast {
        let notification = Notification {
            id: 0,
            title: notify.title,
            message: notify.message,
            level: notify.level,
            at: now_ms(),
        };
        window
            .trigger(
                "demo.notification",
                To::Broadcast,
                json!({"notification": notification}),
            )
            .await?
    } else {
        let user = window
            .user()
            .ok_or_else(|| ApiError::not_found("this request carries no registered window"))?;
        let inboxes = state
            .router
            .data::<Notifications>()
            .ok_or_else(|| ApiError::unavailable("notifications are not set up"))?;
        let (notification, unread) =
            inboxes.push(&user.id, notify.title, notify.message, notify.level);
        window
            .trigger(
                "demo.notification",
                To::User,
                json!({"notification": notification, "unread": unread}),
            )
            .await?
    };
    Ok(HttpResponse::Accepted().json(json!({ "signal_id": signal_id })))
}
