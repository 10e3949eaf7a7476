//! Window registrations, cluster-wide: the [`Windows`] handle.
//!
//! Before a page connects, server code registers its window: a fresh key, the identity behind
//! it and its application topics, kept by the broker for a time-to-live (PROTOCOL.md §2).
//! [`Windows`] is the one way to register, look up, move, renew and delete windows; the
//! websocket upgrade, the HTTP API, views and signal handlers all hold a clone of it.

use std::sync::Arc;
use std::time::Duration;

use super::{InvalidTopic, TopicName};
use crate::broker::{
    Broker, BrokerError, RegisterWindowError, TopicChange, WindowRecord, DEFAULT_MAX_WINDOWS,
};
use crate::identity::{WindowInfo, WindowKey};

/// How registrations are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationSettings {
    /// Time-to-live of a registration that asks for none; connections renew it.
    pub ttl: Duration,
    /// Most application topics a window may be in (limits what one window costs a node).
    pub max_topics: usize,
    /// Most live registrations the broker keeps (a node's with the in-memory broker, the
    /// whole cluster's with Redis); registering a new window beyond them fails.
    pub max_windows: usize,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            ttl: Duration::from_secs(36_000),
            max_topics: 100,
            max_windows: DEFAULT_MAX_WINDOWS,
        }
    }
}

/// A registration that was not stored.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// An application topic name is invalid.
    #[error(transparent)]
    InvalidTopic(#[from] InvalidTopic),
    /// The window would be in more application topics than allowed.
    #[error("a window may be in at most {max} topics")]
    TooManyTopics {
        /// The limit.
        max: usize,
    },
    /// As many windows as allowed are registered already (`max_windows`).
    #[error("too many registered windows (max_windows = {max}); try again later")]
    TooManyWindows {
        /// The limit.
        max: usize,
    },
    /// The broker could not be reached.
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

impl From<RegisterWindowError> for RegisterError {
    fn from(error: RegisterWindowError) -> RegisterError {
        match error {
            RegisterWindowError::TooManyWindows { max } => RegisterError::TooManyWindows { max },
            RegisterWindowError::Broker(error) => RegisterError::Broker(error),
        }
    }
}

/// A change of a window's topics that was not made.
#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    /// No live registration has that key.
    #[error("unknown or expired window")]
    Unknown,
    /// The caller presented no registered window key.
    #[error("this window is not registered")]
    Unregistered,
    /// An application topic name is invalid.
    #[error(transparent)]
    InvalidTopic(#[from] InvalidTopic),
    /// The window would be in more application topics than allowed.
    #[error("a window may be in at most {max} topics")]
    TooManyTopics {
        /// The limit.
        max: usize,
    },
    /// The broker could not be reached.
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

/// What every clone of a [`Windows`] handle shares.
struct Shared {
    /// Where registrations live, and how changes reach every node.
    broker: Arc<dyn Broker>,
    /// Default time-to-live and topic limit.
    settings: RegistrationSettings,
}

/// Registers, looks up, moves, renews and deletes windows. Cheap to clone.
#[derive(Clone)]
pub struct Windows {
    /// The broker and settings, shared by every clone.
    shared: Arc<Shared>,
}

impl Windows {
    /// Windows stored by `broker`.
    pub fn new(broker: Arc<dyn Broker>, settings: RegistrationSettings) -> Windows {
        Windows {
            shared: Arc::new(Shared { broker, settings }),
        }
    }

    /// The broker registrations live in.
    pub(crate) fn broker(&self) -> &Arc<dyn Broker> {
        &self.shared.broker
    }

    /// The kind of broker registrations live in (`memory`, `redis`), for logs.
    pub fn broker_kind(&self) -> &'static str {
        self.shared.broker.kind()
    }

    /// How registrations are kept.
    pub fn settings(&self) -> RegistrationSettings {
        self.shared.settings
    }

    /// Registers a new window for a page about to be rendered: a fresh key, the identity
    /// behind it and its application topics, for `ttl` (the configured default when `None`).
    pub async fn register(
        &self,
        mut info: WindowInfo,
        topics: Vec<TopicName>,
        ttl: Option<Duration>,
    ) -> Result<WindowKey, RegisterError> {
        let topics: std::collections::BTreeSet<String> =
            topics.into_iter().map(TopicName::into_string).collect();
        let max = self.shared.settings.max_topics;
        if topics.len() > max {
            return Err(RegisterError::TooManyTopics { max });
        }
        let key = WindowKey::generate();
        info.window_key = Some(key.clone());
        let ttl = ttl.unwrap_or(self.shared.settings.ttl);
        let record = WindowRecord {
            info,
            topics,
            version: 1,
            ttl_secs: ttl.as_secs().max(1),
        };
        self.shared
            .broker
            .register_window(&key, record, ttl)
            .await?;
        Ok(key)
    }

    /// Registers a window under `key`, a key chosen by the backend, replacing whatever the
    /// key had (PROTOCOL.md §6.2, `PUT`). Connections already presenting the key move to the
    /// new topics at once, on every node; their identity is the new one from their next
    /// connection.
    pub async fn register_as(
        &self,
        key: WindowKey,
        mut info: WindowInfo,
        topics: Vec<TopicName>,
        ttl: Option<Duration>,
    ) -> Result<(), RegisterError> {
        let topics: std::collections::BTreeSet<String> =
            topics.into_iter().map(TopicName::into_string).collect();
        let max = self.shared.settings.max_topics;
        if topics.len() > max {
            return Err(RegisterError::TooManyTopics { max });
        }
        let broker = &self.shared.broker;
        // A live registration: a topic change moves its connections (and bumps its version
        // on every broker); the new record then takes the version after it.
        let version = match broker.window(&key).await? {
            Some(previous) => {
                let add: Vec<String> = topics.difference(&previous.topics).cloned().collect();
                let remove: Vec<String> = previous.topics.difference(&topics).cloned().collect();
                match broker
                    .change_topics(&key, &add, &remove, usize::MAX)
                    .await?
                {
                    TopicChange::Changed(record) => record.version,
                    TopicChange::Unknown | TopicChange::TooMany => 1,
                }
            }
            None => 1,
        };
        info.window_key = Some(key.clone());
        let ttl = ttl.unwrap_or(self.shared.settings.ttl);
        let record = WindowRecord {
            info,
            topics,
            version,
            ttl_secs: ttl.as_secs().max(1),
        };
        broker.register_window(&key, record, ttl).await?;
        Ok(())
    }

    /// The live registration of `key`, if any.
    pub async fn get(&self, key: &WindowKey) -> Result<Option<WindowRecord>, BrokerError> {
        self.shared.broker.window(key).await
    }

    /// Adds then removes application topics of a window, connected or not; its connections
    /// move at once on every node.
    pub async fn change_topics(
        &self,
        key: &WindowKey,
        add: &[TopicName],
        remove: &[TopicName],
    ) -> Result<WindowRecord, TopicsError> {
        let names = |topics: &[TopicName]| -> Vec<String> {
            topics.iter().map(|t| t.as_str().to_owned()).collect()
        };
        let max = self.shared.settings.max_topics;
        let change = self
            .shared
            .broker
            .change_topics(key, &names(add), &names(remove), max)
            .await?;
        match change {
            TopicChange::Changed(record) => Ok(record),
            TopicChange::Unknown => Err(TopicsError::Unknown),
            TopicChange::TooMany => Err(TopicsError::TooManyTopics { max }),
        }
    }

    /// Renews a live registration for its time-to-live. Returns whether it was alive.
    pub async fn touch(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        self.shared.broker.touch_window(key).await
    }

    /// Forgets a window and closes its connections with 1008. Returns whether it existed.
    pub async fn delete(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        self.shared.broker.delete_window(key).await
    }
}

impl std::fmt::Debug for Windows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Windows")
            .field("broker", &self.shared.broker.kind())
            .field("settings", &self.shared.settings)
            .finish()
    }
}
