//! What a handler knows about its call: the calling window, and a way back to the router.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use super::{Destinations, Origin, SignalRouter, TriggerError};
use crate::identity::{User, WindowInfo, WindowKey};
use crate::topic::{topic_names, ConnectionTopics, TopicsError};

/// The first argument of every `#[signal]` handler.
#[derive(Clone)]
pub struct SignalContext {
    /// The router that dispatched the call, to trigger and manage topics.
    router: SignalRouter,
    /// The window that called (anonymous for server triggers without a window).
    window: Arc<WindowInfo>,
    /// The signal being handled.
    signal: Arc<str>,
    /// Whether a browser called it (permissions were checked) or server code triggered it.
    from_browser: bool,
    /// The calling connection as this node's registry holds it, when a window connected to
    /// this node called: its topics when the broker cannot be asked.
    local: Option<ConnectionTopics>,
}

impl SignalContext {
    pub(crate) fn new(
        router: SignalRouter,
        window: Arc<WindowInfo>,
        signal: Arc<str>,
        from_browser: bool,
    ) -> SignalContext {
        SignalContext {
            router,
            window,
            signal,
            from_browser,
            local: None,
        }
    }

    /// The same context for a call made over a connection of this node.
    pub(crate) fn with_connection(mut self, local: Option<ConnectionTopics>) -> SignalContext {
        self.local = local;
        self
    }

    /// The calling window's identity.
    pub fn window(&self) -> &WindowInfo {
        &self.window
    }

    /// The calling window's user, if logged in.
    pub fn user(&self) -> Option<&User> {
        self.window.user.as_ref()
    }

    /// The calling window's key, if it is a registered window.
    pub fn window_key(&self) -> Option<&WindowKey> {
        self.window.window_key.as_ref()
    }

    /// The signal being handled.
    pub fn signal(&self) -> &str {
        &self.signal
    }

    /// Whether a browser made the call (as opposed to a server-side trigger).
    pub fn is_from_browser(&self) -> bool {
        self.from_browser
    }

    /// Application state registered with the router builder's `data`.
    pub fn data<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.router.data::<T>()
    }

    /// The router, for anything not covered here.
    pub fn router(&self) -> &SignalRouter {
        &self.router
    }

    /// Triggers a signal on behalf of the calling window (so `To::Window`, `To::User` and
    /// `To::Session` mean the caller's).
    pub async fn trigger(
        &self,
        signal: &str,
        to: impl Into<Destinations>,
        opts: impl Serialize,
    ) -> Result<Uuid, TriggerError> {
        self.router.trigger(self, signal, to, opts).await
    }

    fn key(&self) -> Result<&WindowKey, TopicsError> {
        self.window_key().ok_or(TopicsError::Unregistered)
    }

    /// Adds the calling window to application topics, at once, on every node.
    ///
    /// A `?` in a handler turns a failure into what the browser should see: an invalid name
    /// or too many topics is `invalid_arguments`, an unregistered window `forbidden`.
    pub async fn join<I, S>(&self, topics: I) -> Result<(), TopicsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let add = topic_names(topics)?;
        let windows = self.router.windows();
        windows.change_topics(self.key()?, &add, &[]).await?;
        Ok(())
    }

    /// Removes the calling window from application topics, at once, on every node.
    pub async fn leave<I, S>(&self, topics: I) -> Result<(), TopicsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let remove = topic_names(topics)?;
        let windows = self.router.windows();
        windows.change_topics(self.key()?, &[], &remove).await?;
        Ok(())
    }

    /// The calling window's application topics as they are now, from its registration.
    ///
    /// When the broker cannot be asked (a Redis outage) and the caller is a window connected
    /// to this node, they are the topics this node's connection is in: the last state this
    /// node heard of.
    pub async fn topics(&self) -> Result<BTreeSet<String>, TopicsError> {
        let key = self.key()?;
        if let Some(local) = self
            .local
            .as_ref()
            .filter(|_| !self.router.broker().reachable())
        {
            if let Some(topics) = local.application_topics() {
                tracing::debug!(
                    "broker unreachable: the calling window's topics come from this node"
                );
                return Ok(topics);
            }
        }
        let error = match self.router.windows().get(key).await {
            Ok(Some(record)) => return Ok(record.topics),
            Ok(None) => return Err(TopicsError::Unknown),
            Err(error) => error,
        };
        if let Some(local) = &self.local {
            if let Some(topics) = local.application_topics() {
                tracing::warn!(%error, "broker unreachable: a handler reads the calling window's topics from this node's copy");
                return Ok(topics);
            }
        }
        Err(error.into())
    }
}

impl From<&SignalContext> for Origin {
    fn from(ctx: &SignalContext) -> Origin {
        Origin::Window(ctx.window.clone())
    }
}
