//! Window registrations through the router: register, change topics live, delete.

use std::time::Duration;

use super::SignalRouter;
use crate::broker::{BrokerError, TopicChange, WindowRecord};
use crate::identity::{WindowInfo, WindowKey};
use crate::topic::{validate_topic, InvalidTopic};

/// A window operation that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// No live registration has that key.
    #[error("unknown or expired window")]
    Unknown,
    /// The calling connection presented no registered window key.
    #[error("this window is not registered")]
    Unregistered,
    /// The window would be in more application topics than allowed.
    #[error("a window may be in at most {max} topics")]
    TooManyTopics {
        /// The limit.
        max: usize,
    },
    /// An application topic name is invalid.
    #[error("invalid topic `{topic}`: {reason}")]
    InvalidTopic {
        /// The offending name.
        topic: String,
        /// What is wrong with it.
        reason: InvalidTopic,
    },
    /// The broker could not be reached.
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

fn validate_all(topics: &[String]) -> Result<(), WindowError> {
    for topic in topics {
        validate_topic(topic).map_err(|reason| WindowError::InvalidTopic {
            topic: topic.clone(),
            reason,
        })?;
    }
    Ok(())
}

impl SignalRouter {
    /// Registers a new window for a page about to be rendered: a fresh key, the identity
    /// behind it and its application topics, for `ttl` (the configured default when `None`).
    pub async fn register_window<I, S>(
        &self,
        mut info: WindowInfo,
        topics: I,
        ttl: Option<Duration>,
    ) -> Result<WindowKey, WindowError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let topics: Vec<String> = topics.into_iter().map(Into::into).collect();
        validate_all(&topics)?;
        let topics: std::collections::BTreeSet<String> = topics.into_iter().collect();
        let max = self.settings().max_topics_per_window;
        if topics.len() > max {
            return Err(WindowError::TooManyTopics { max });
        }
        let key = WindowKey::generate();
        info.window_key = Some(key.clone());
        let record = WindowRecord {
            info,
            topics,
            version: 1,
            ttl_secs: 0,
        };
        let ttl = ttl.unwrap_or(self.settings().window_ttl);
        let record = WindowRecord {
            ttl_secs: ttl.as_secs().max(1),
            ..record
        };
        self.broker().register_window(&key, record, ttl).await?;
        Ok(key)
    }

    /// The live registration of `key`, if any.
    pub async fn window(&self, key: &WindowKey) -> Result<Option<WindowRecord>, WindowError> {
        Ok(self.broker().window(key).await?)
    }

    /// Adds then removes application topics of a window, connected or not; connections move at
    /// once on every node.
    pub async fn change_topics(
        &self,
        key: &WindowKey,
        add: &[String],
        remove: &[String],
    ) -> Result<WindowRecord, WindowError> {
        validate_all(add)?;
        validate_all(remove)?;
        let max = self.settings().max_topics_per_window;
        match self.broker().change_topics(key, add, remove, max).await? {
            TopicChange::Changed(record) => Ok(record),
            TopicChange::Unknown => Err(WindowError::Unknown),
            TopicChange::TooMany => Err(WindowError::TooManyTopics { max }),
        }
    }

    /// Renews a live registration for its time-to-live. Returns whether it was alive.
    pub async fn touch_window(&self, key: &WindowKey) -> Result<bool, WindowError> {
        Ok(self.broker().touch_window(key).await?)
    }

    /// Forgets a window and closes its connections with 1008. Returns whether it existed.
    pub async fn delete_window(&self, key: &WindowKey) -> Result<bool, WindowError> {
        Ok(self.broker().delete_window(key).await?)
    }
}
