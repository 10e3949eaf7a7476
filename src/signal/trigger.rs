//! Where a trigger goes ([`To`]) and on whose behalf it is sent ([`Origin`]).

use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use crate::broker::BrokerError;
use crate::identity::{self, WindowInfo, WindowKey};
use crate::topic::{InvalidTopic, TopicName};

/// One destination of a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// Run the server handlers of the signal (permissions are bypassed).
    Server,
    /// Every connection of the calling window.
    Window,
    /// Every window of the calling user (nobody when the caller is anonymous).
    User,
    /// Every window of the calling browser session (nobody without a session).
    Session,
    /// Every registered window.
    Broadcast,
    /// Every window in an application topic.
    Topic(TopicName),
    /// Every connection of the given window key.
    WindowKey(WindowKey),
    /// Every window of the given user id.
    UserId(String),
    /// Every window of the given session key.
    SessionKey(String),
}

impl To {
    /// [`To::Topic`] after checking the name: `To::topic(format!("room:{room}"))?`.
    pub fn topic(name: impl Into<String>) -> Result<To, InvalidTopic> {
        TopicName::new(name).map(To::Topic)
    }

    /// Decodes one destination of a backend's trigger (PROTOCOL.md §6.5): `"broadcast"`,
    /// `"server"`, or `{"topic"|"window"|"user"|"session": "..."}` (a user id may be a
    /// number). The error says what is wrong, for the backend.
    pub(crate) fn from_json(value: &Value) -> Result<To, String> {
        match value {
            Value::String(s) if s == "broadcast" => Ok(To::Broadcast),
            Value::String(s) if s == "server" => Ok(To::Server),
            Value::Object(map) if map.len() == 1 => {
                let (kind, target) = map.iter().next().expect("one entry");
                let target = match target {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    Value::Number(n) if kind == "user" => n.to_string(),
                    _ => return Err(format!("`{kind}` needs a non-empty string")),
                };
                match kind.as_str() {
                    "topic" => TopicName::new(target)
                        .map(To::Topic)
                        .map_err(|e| e.rule.to_string()),
                    "window" => WindowKey::parse(&target)
                        .map(To::WindowKey)
                        .map_err(|e| e.to_string()),
                    "user" => Ok(To::UserId(target)),
                    "session" => Ok(To::SessionKey(target)),
                    other => Err(format!("unknown destination `{other}`")),
                }
            }
            _ => Err("expected \"broadcast\", \"server\" or one of \
                 {\"topic\"|\"window\"|\"user\"|\"session\": ...}"
                .into()),
        }
    }
}

/// A list of destinations; build it from one [`To`], an array or a `Vec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destinations(pub Vec<To>);

impl From<To> for Destinations {
    fn from(to: To) -> Self {
        Destinations(vec![to])
    }
}

impl From<Vec<To>> for Destinations {
    fn from(to: Vec<To>) -> Self {
        Destinations(to)
    }
}

impl<const N: usize> From<[To; N]> for Destinations {
    fn from(to: [To; N]) -> Self {
        Destinations(to.into())
    }
}

/// On whose behalf a trigger is sent: decides what `Window`, `User` and `Session` mean, and
/// which window server handlers see.
#[derive(Debug, Clone, Default)]
pub enum Origin {
    /// Server code acting on its own.
    #[default]
    Server,
    /// A window (a handler's caller, or the page behind an HTTP request).
    Window(Arc<WindowInfo>),
}

impl Origin {
    /// The window behind the trigger, or an anonymous one.
    pub(crate) fn window(&self) -> Arc<WindowInfo> {
        match self {
            Origin::Server => Arc::new(WindowInfo::anonymous()),
            Origin::Window(info) => info.clone(),
        }
    }

    /// The topic a destination stands for, `None` when it reaches nobody (e.g. `User` from
    /// an anonymous origin) or is `Server`.
    pub(crate) fn topic_of(&self, to: &To) -> Option<String> {
        let info = match self {
            Origin::Window(info) => Some(info.as_ref()),
            Origin::Server => None,
        };
        match to {
            To::Server => None,
            To::Broadcast => Some(identity::BROADCAST.to_owned()),
            To::Window => info
                .and_then(|i| i.window_key.as_ref())
                .map(|k| identity::window_topic(k.as_str())),
            To::User => info
                .and_then(|i| i.user.as_ref())
                .map(|u| identity::user_topic(&u.id)),
            To::Session => info
                .and_then(|i| i.session.as_deref())
                .map(identity::session_topic),
            To::Topic(name) => Some(name.as_str().to_owned()),
            To::WindowKey(key) => Some(identity::window_topic(key.as_str())),
            To::UserId(id) => Some(identity::user_topic(id)),
            To::SessionKey(key) => Some(identity::session_topic(key)),
        }
    }
}

impl From<()> for Origin {
    fn from((): ()) -> Self {
        Origin::Server
    }
}

impl From<WindowInfo> for Origin {
    fn from(info: WindowInfo) -> Self {
        Origin::Window(Arc::new(info))
    }
}

impl From<Arc<WindowInfo>> for Origin {
    fn from(info: Arc<WindowInfo>) -> Self {
        Origin::Window(info)
    }
}

/// A trigger that was not sent.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The signal name is not dot-separated identifiers of at most 128 bytes.
    #[error("invalid signal name `{0}`")]
    InvalidSignal(String),
    /// The options are not a JSON object.
    #[error("signal options must serialise to a JSON object")]
    OptsNotObject,
    /// The options could not be serialised.
    #[error("signal options cannot be serialised: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The broker could not publish it: nobody received it, and server handlers were not
    /// started.
    #[error(transparent)]
    Broker(BrokerError),
    /// The broker could not reach the other nodes, but this node's windows received the
    /// trigger live (without a place in the history) and its server handlers were started:
    /// everything happened that could happen on this node. Sending it again would deliver
    /// it twice here.
    #[error("{source}; only this node's windows received trigger {signal_id}")]
    LocalOnly {
        /// The id this node's windows received it with.
        signal_id: Uuid,
        /// Why the other nodes were not reached.
        source: BrokerError,
    },
}
