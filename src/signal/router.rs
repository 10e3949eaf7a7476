//! The signal router: the handler table, and triggers from server code to windows.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus::Histogram;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::Notify;
use uuid::Uuid;

use super::backend::{Backend, BackendSettings};
use super::queue::{Queue, Queues};
use super::{Destinations, HandlerSpec, Origin, SignalHandler, To, TriggerError};
use crate::broker::{Broker, HistorySettings, MemoryBroker, Publication, PublishError};
use crate::config::{Config, QueueConfig};
use crate::metrics::Metrics;
use crate::protocol::{is_valid_signal_name, signal_frame};
use crate::topic::{RegistrationSettings, Windows};

/// Router-wide settings.
#[derive(Debug, Clone)]
pub struct RouterSettings {
    /// Time limit of a handler that declares none.
    pub handler_timeout: Duration,
    /// Limits per named queue; undeclared queues get [`QueueConfig::default`].
    pub queues: HashMap<String, QueueConfig>,
    /// How the router's [`Windows`] keeps registrations (time-to-live, topic limit); the
    /// default (in-memory) broker keeps at most `max_windows` of them, a broker given to the
    /// builder brings its own limit.
    pub windows: RegistrationSettings,
    /// The history the default (in-memory) broker keeps; a broker given to the builder
    /// brings its own.
    pub history: HistorySettings,
    /// The web application's backend, which handles the signals no Rust handler takes.
    pub backend: Option<BackendSettings>,
}

impl From<&Config> for RouterSettings {
    /// The router settings a server configuration implies.
    fn from(config: &Config) -> RouterSettings {
        RouterSettings {
            handler_timeout: Duration::from_millis(config.handler_timeout_ms),
            queues: config.queues.clone(),
            windows: RegistrationSettings {
                ttl: Duration::from_secs(config.window_ttl_secs),
                max_topics: config.max_topics_per_window,
                max_windows: config.max_windows,
            },
            history: HistorySettings {
                size: config.history_size,
                ttl: Duration::from_secs(config.history_ttl_secs),
                recovery_max: config.recovery_max,
                max_bytes: config.history_max_bytes,
            },
            backend: match (&config.backend_url, &config.backend_key) {
                (Some(url), Some(key)) => Some(BackendSettings {
                    url: url.clone(),
                    key: key.clone(),
                    timeout: Duration::from_millis(config.handler_timeout_ms),
                }),
                _ => None,
            },
        }
    }
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            handler_timeout: Duration::from_secs(30),
            queues: HashMap::new(),
            windows: RegistrationSettings::default(),
            history: HistorySettings::default(),
            backend: None,
        }
    }
}

/// One registered handler with its resolved queue and time limit.
pub(crate) struct Entry {
    /// What it declared.
    pub(crate) spec: HandlerSpec,
    /// The handler itself.
    pub(crate) handler: Box<dyn SignalHandler>,
    /// Its queue.
    pub(crate) queue: Arc<Queue>,
    /// Its time limit.
    pub(crate) timeout: Duration,
    /// Its series of the handler-duration histogram, looked up once here rather than by
    /// label on every call.
    pub(crate) duration: Histogram,
    /// Its signal's name, shared with the context of every call (no copy per call).
    pub(crate) signal: Arc<str>,
}

pub(crate) struct Inner {
    /// Signal name → handlers, in registration order. Looked up on every call with the
    /// name a client sent, so with a fast hasher: the keys are the server's own and never
    /// grow, so chosen names can slow a lookup no more than any others can.
    pub(crate) handlers: HashMap<String, Vec<Arc<Entry>>, foldhash::fast::RandomState>,
    /// Window registrations; its broker is where triggers go too.
    pub(crate) windows: Windows,
    /// Counters of calls, triggers, errors and handler durations.
    pub(crate) metrics: Arc<Metrics>,
    /// Router-wide settings.
    pub(crate) settings: RouterSettings,
    /// Application state handlers reach with `ctx.data::<T>()`, one value per type.
    pub(crate) data: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    /// Handlers running now, so a shutdown can let them finish.
    pub(crate) running: AtomicUsize,
    /// Woken when `running` drops to zero.
    pub(crate) idle: Notify,
    /// The backend handling signals without a Rust handler, if configured.
    pub(crate) backend: Option<Arc<Backend>>,
}

/// Dispatches signals: browser calls to server handlers, triggers to windows. Cheap to clone.
#[derive(Clone)]
pub struct SignalRouter {
    pub(crate) inner: Arc<Inner>,
}

/// A handler table that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The same function was registered twice for the same signal.
    #[error("handler `{name}` is registered twice for signal `{path}`")]
    Duplicate {
        /// The signal.
        path: String,
        /// The function.
        name: &'static str,
    },
    /// A handler declared an invalid signal name.
    #[error("handler `{name}` has an invalid signal name `{path}`")]
    InvalidPath {
        /// The name it declared.
        path: String,
        /// The function.
        name: &'static str,
    },
    /// The backend cannot be used as configured.
    #[error("{0}")]
    Backend(String),
}

/// Collects handlers and settings, then builds a [`SignalRouter`].
#[must_use]
pub struct SignalRouterBuilder {
    /// Handlers in registration order.
    handlers: Vec<Box<dyn SignalHandler>>,
    /// The broker; an in-memory one when not set.
    broker: Option<Arc<dyn Broker>>,
    /// Metrics to report into; fresh ones when not set.
    metrics: Option<Arc<Metrics>>,
    /// Router-wide settings.
    settings: RouterSettings,
    /// Application state, by type.
    data: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl SignalRouter {
    /// Starts an empty handler table.
    pub fn builder() -> SignalRouterBuilder {
        SignalRouterBuilder {
            handlers: Vec::new(),
            broker: None,
            metrics: None,
            settings: RouterSettings::default(),
            data: HashMap::new(),
        }
    }

    /// Application state registered with [`SignalRouterBuilder::data`].
    pub fn data<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner
            .data
            .get(&TypeId::of::<T>())
            .and_then(|d| d.downcast_ref::<T>())
    }

    /// Window registrations: register, look up, move, renew, delete.
    pub fn windows(&self) -> &Windows {
        &self.inner.windows
    }

    /// The broker triggers and registrations go through.
    pub(crate) fn broker(&self) -> &Arc<dyn Broker> {
        self.inner.windows.broker()
    }

    /// The node's metrics, which the router counts calls and triggers into.
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Router-wide settings.
    pub fn settings(&self) -> &RouterSettings {
        &self.inner.settings
    }

    /// Handlers running now.
    pub fn running_handlers(&self) -> usize {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Waits until no handler runs, or `deadline` passes; returns whether they all finished.
    /// Used by a graceful shutdown.
    pub async fn drain(&self, deadline: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.inner.idle.notified();
                if self.running_handlers() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }

    /// Every signal name with at least one handler, sorted.
    pub fn signals(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.inner.handlers.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Sends a signal to windows and/or server handlers.
    ///
    /// `from` decides what [`To::Window`], [`To::User`] and [`To::Session`] mean: pass a
    /// `&SignalContext`, a `&CallingWindow` (an HTTP request's window), a `WindowInfo`, or
    /// `()` for server code acting on its own. `opts` must serialise to a JSON object (or unit,
    /// meaning `{}`). The trigger gets one `signal_id`, is serialised once, and reaches each
    /// window at most once however many targeted topics it is in.
    ///
    /// When the broker cannot reach the other nodes but this node's windows got the trigger,
    /// the answer is [`TriggerError::LocalOnly`]: its server handlers were started too.
    pub async fn trigger(
        &self,
        from: impl Into<Origin>,
        signal: &str,
        to: impl Into<Destinations>,
        opts: impl Serialize,
    ) -> Result<Uuid, TriggerError> {
        self.trigger_with_id(Uuid::new_v4(), from, signal, to, opts)
            .await
    }

    /// [`SignalRouter::trigger`] with a `signal_id` chosen by the caller: a backend that gave
    /// the trigger its id already (df_websockets does) keeps it, so both sides log the same.
    pub async fn trigger_with_id(
        &self,
        signal_id: Uuid,
        from: impl Into<Origin>,
        signal: &str,
        to: impl Into<Destinations>,
        opts: impl Serialize,
    ) -> Result<Uuid, TriggerError> {
        let origin = from.into();
        let Destinations(to) = to.into();
        if !is_valid_signal_name(signal) {
            return Err(TriggerError::InvalidSignal(signal.to_owned()));
        }
        let opts = match serde_json::to_value(opts)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => return Err(TriggerError::OptsNotObject),
        };
        let mut topics: Vec<String> = Vec::new();
        for destination in &to {
            if let Some(topic) = origin.topic_of(destination) {
                if !topics.contains(&topic) {
                    topics.push(topic);
                }
            }
        }
        let mut local_only = None;
        if !topics.is_empty() {
            let payload = signal_frame(signal, &opts, signal_id)?;
            let publication = Publication {
                signal_id,
                topics,
                payload,
                offset: None,
            };
            match self.broker().publish(publication).await {
                Ok(()) => {}
                Err(PublishError::LocalOnly(source)) => local_only = Some(source),
                Err(PublishError::Broker(error)) => return Err(TriggerError::Broker(error)),
            }
        }
        if to.contains(&To::Server) {
            self.spawn_server_handlers(origin.window(), signal, opts);
        }
        self.inner.metrics.triggers.inc();
        match local_only {
            None => Ok(signal_id),
            Some(source) => Err(TriggerError::LocalOnly { signal_id, source }),
        }
    }
}

impl fmt::Debug for SignalRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalRouter")
            .field("signals", &self.signals())
            .field("broker", &self.broker().kind())
            .finish()
    }
}

impl SignalRouterBuilder {
    /// Registers a handler (a `#[signal]` function).
    pub fn signal<H: SignalHandler>(mut self, handler: H) -> Self {
        self.handlers.push(Box::new(handler));
        self
    }

    /// Uses this broker instead of the in-memory default.
    pub fn broker(mut self, broker: Arc<dyn Broker>) -> Self {
        self.broker = Some(broker);
        self
    }

    /// Reports into these metrics.
    pub fn metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Router-wide settings (timeouts, TTL, queues).
    pub fn settings(mut self, settings: RouterSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Adds application state for handlers (`ctx.data::<T>()`); one value per type, the
    /// last one given wins. Share mutable state through a lock or atomics inside `T`.
    pub fn data<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.data.insert(TypeId::of::<T>(), Box::new(value));
        self
    }

    /// Builds the router, refusing duplicate (signal, function) pairs and invalid names.
    pub fn build(self) -> Result<SignalRouter, BuildError> {
        let mut queues = Queues::default();
        let metrics = self.metrics.unwrap_or_default();
        let mut handlers: HashMap<String, Vec<Arc<Entry>>, _> =
            HashMap::with_hasher(foldhash::fast::RandomState::default());
        for handler in self.handlers {
            let spec = handler.spec();
            if !is_valid_signal_name(&spec.path) {
                return Err(BuildError::InvalidPath {
                    path: spec.path,
                    name: spec.name,
                });
            }
            let entries = handlers.entry(spec.path.clone()).or_default();
            if entries.iter().any(|e| e.spec.name == spec.name) {
                return Err(BuildError::Duplicate {
                    path: spec.path,
                    name: spec.name,
                });
            }
            entries.push(Arc::new(Entry {
                queue: queues.get_or_create(&spec.queue, &self.settings.queues),
                timeout: spec.timeout.unwrap_or(self.settings.handler_timeout),
                duration: metrics.handler_duration.with_label_values(&[&spec.path]),
                signal: Arc::from(spec.path.as_str()),
                handler,
                spec,
            }));
        }
        let backend = match &self.settings.backend {
            Some(settings) => Some(Arc::new(
                Backend::new(settings, self.settings.queues.clone(), metrics.clone())
                    .map_err(|e| BuildError::Backend(e.to_string()))?,
            )),
            None => None,
        };
        Ok(SignalRouter {
            inner: Arc::new(Inner {
                handlers,
                windows: Windows::new(
                    self.broker.unwrap_or_else(|| {
                        Arc::new(
                            MemoryBroker::with_history(65_536, self.settings.history)
                                .max_windows(self.settings.windows.max_windows),
                        )
                    }),
                    self.settings.windows,
                ),
                metrics,
                settings: self.settings,
                data: self.data,
                running: AtomicUsize::new(0),
                idle: Notify::new(),
                backend,
            }),
        })
    }
}
