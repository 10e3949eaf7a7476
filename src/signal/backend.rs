//! Signals handled by the web application's backend (PROTOCOL.md §10): a Django site's
//! `@signal` handlers, reached over HTTP, as AnyCable reaches a Rails app's channels.
//!
//! A browser call to a signal that has no Rust handler is forwarded to the backend when one
//! is configured (`backend_url`, `backend_key`), and so is a server-side trigger of it:
//!
//! - the backend lists its signals, their queues, whether browsers may call them, and each
//!   queue's concurrency at `GET {backend_url}signals`; names it does not list (and, for
//!   browsers, names it marks server-only) are `unknown_signal` without a request to the
//!   backend. The list is read at
//!   the first call, again in the background when older than [`MANIFEST_REFRESH`], and again
//!   (at most every [`MANIFEST_RETRY`]) when a browser calls a name it does not hold;
//! - each call is `POST {backend_url}call` with the signal, its options, the queue and the
//!   calling window's identity, through a pool of keep-alive connections;
//! - calls of one queue run at most `queues.NAME.concurrency` at a time (the backend's
//!   figure when that is not configured) with at most `queues.NAME.backlog` waiting
//!   (`rate_limited` beyond), so a slow Python handler never holds up the others; each has
//!   the handler time limit (`timeout` beyond);
//! - a backend that is down, slow or broken gives the browser `handler_error` (or `timeout`),
//!   is logged and counted (`switchboard_backend_calls_total{outcome}`), and never touches
//!   `/readyz`.
//!
//! A call's answer may carry the triggers its handlers made while it ran (`triggers`,
//! PROTOCOL.md §10.3): the router sends them as the API would when the answer arrives,
//! which spares the backend an HTTP request per trigger. Answers are read up to
//! [`MAX_ANSWER_BYTES`].
//!
//! Every request carries `Authorization: Bearer {backend_key}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::queue::Queues;
use super::{Opts, SignalError};
use crate::config::QueueConfig;
use crate::identity::WindowInfo;
use crate::metrics::Metrics;
use crate::protocol::ErrorCode;

/// How old the list of backend signals may get before it is read again (in the background).
pub const MANIFEST_REFRESH: Duration = Duration::from_secs(10);

/// A call to a name missing from the list reads it again, at most this often (a signal added
/// by a deploy of the backend is found within this delay).
pub const MANIFEST_RETRY: Duration = Duration::from_secs(1);

/// How long reading the list may take.
const MANIFEST_TIMEOUT: Duration = Duration::from_secs(2);

/// How long opening a connection to the backend may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Idle keep-alive connections kept to the backend.
const IDLE_CONNECTIONS: usize = 64;

/// The largest answer read from the backend (a call's result and its triggers): beyond,
/// the call fails with `handler_error` and nothing of it is sent.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// The most triggers one answer may carry; the rest are dropped (and logged).
pub const MAX_ANSWER_TRIGGERS: usize = 1_000;

/// Where the backend is and how Switchboard proves itself to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendSettings {
    /// Base URL of the backend's Switchboard endpoints (`http://django:8000/switchboard/`).
    pub url: String,
    /// The shared secret sent as a bearer token.
    pub key: String,
    /// Time limit of one call.
    pub timeout: Duration,
}

/// `GET {backend_url}signals`.
#[derive(Deserialize)]
struct Manifest {
    /// Signal path → where its handlers run.
    signals: HashMap<String, Listed>,
    /// Queue name → its limits, as the backend sizes them.
    #[serde(default)]
    queues: HashMap<String, ManifestQueue>,
}

/// One signal of the manifest.
#[derive(Debug, Clone, Deserialize)]
struct Listed {
    /// The queues of its handlers (one call per queue).
    #[serde(default)]
    queues: Vec<String>,
    /// Whether browsers may call it (`false`: server triggers only).
    #[serde(default = "browser_callable")]
    browser: bool,
}

/// A backend that does not say lets browsers call its signals.
fn browser_callable() -> bool {
    true
}

/// One queue of the manifest.
#[derive(Deserialize)]
struct ManifestQueue {
    /// Handlers of the queue the backend runs at once (df's pool size).
    concurrency: usize,
}

/// The list of backend signals as last read.
#[derive(Default)]
struct Known {
    /// Signal path → its queues and who may call it.
    signals: HashMap<String, Listed>,
    /// Queue name → the concurrency the backend gives it.
    concurrency: HashMap<String, usize>,
    /// When the list was last read successfully.
    read_at: Option<Instant>,
    /// When a read was last started (successful or not).
    tried_at: Option<Instant>,
}

/// Body of `POST {backend_url}call`.
#[derive(Serialize)]
struct CallBody<'a> {
    /// The signal.
    signal: &'a str,
    /// Its options.
    opts: &'a Opts,
    /// Which of its handlers run: those of this queue.
    queue: &'a str,
    /// Whether a browser called (permissions apply) or server code triggered it.
    from_browser: bool,
    /// Who called.
    window: &'a WindowInfo,
    /// Tells the backend that its answer may carry the handlers' triggers (§10.3).
    accepts_triggers: bool,
}

/// The backend's answer to a call.
#[derive(Deserialize)]
struct Answer {
    /// Whether the handlers ran.
    ok: bool,
    /// The result for the browser's reply.
    #[serde(default)]
    result: Value,
    /// What went wrong, when not `ok`.
    #[serde(default)]
    error: Option<AnswerError>,
    /// Triggers the handlers made, sent by the router when the answer arrives (ok or not).
    #[serde(default)]
    triggers: Vec<AnsweredTrigger>,
}

/// A trigger carried by a call's answer: the body of `POST /api/v1/trigger` (§6.5).
#[derive(Debug, Deserialize)]
pub(crate) struct AnsweredTrigger {
    /// The signal name.
    pub(crate) signal: String,
    /// Its options; `{}` when absent.
    #[serde(default)]
    pub(crate) opts: Option<serde_json::Map<String, Value>>,
    /// Destinations, as in the API.
    pub(crate) to: Vec<Value>,
    /// The trigger's id, when the backend chose one.
    #[serde(default)]
    pub(crate) signal_id: Option<uuid::Uuid>,
}

/// What a backend call did: its result for the caller, and the triggers to send first.
pub(crate) struct CallOutcome {
    /// The first non-null result, or the first error.
    pub(crate) result: Result<Value, SignalError>,
    /// Every queue's triggers, in the order of the queues, then of the answer.
    pub(crate) triggers: Vec<AnsweredTrigger>,
}

impl CallOutcome {
    /// An outcome without triggers.
    fn only(result: Result<Value, SignalError>) -> CallOutcome {
        CallOutcome {
            result,
            triggers: Vec::new(),
        }
    }
}

/// Why an answer could not be read.
enum ReadError {
    /// The connection failed or timed out.
    Transport(reqwest::Error),
    /// Larger than [`MAX_ANSWER_BYTES`].
    TooLarge,
    /// Not the JSON of §10.2.
    Json(serde_json::Error),
}

/// Reads a JSON answer of at most [`MAX_ANSWER_BYTES`].
async fn read_answer<T: serde::de::DeserializeOwned>(
    mut response: reqwest::Response,
) -> Result<T, ReadError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(ReadError::Json)
}

/// An error the backend reports.
#[derive(Deserialize)]
struct AnswerError {
    /// A PROTOCOL.md error code.
    code: String,
    /// For the browser.
    #[serde(default)]
    message: String,
}

/// The backend of a router. Shared by every call.
pub(crate) struct Backend {
    /// Pooled keep-alive connections.
    client: reqwest::Client,
    /// `{backend_url}signals`.
    signals_url: String,
    /// `{backend_url}call`.
    call_url: String,
    /// `Bearer {backend_key}`.
    authorization: String,
    /// Time limit of one call.
    timeout: Duration,
    /// The list of backend signals.
    known: Mutex<Known>,
    /// Held while a call reads the list: the calls that need it meanwhile wait for it
    /// instead of finding it empty.
    reading: Arc<tokio::sync::Mutex<()>>,
    /// One queue per backend queue name, created as names appear.
    queues: Mutex<Queues>,
    /// Their limits (`[queues.NAME]`, defaults otherwise).
    queue_configs: HashMap<String, QueueConfig>,
    /// Counts calls by outcome.
    metrics: Arc<Metrics>,
}

/// A backend that cannot be used as configured.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the backend at {url}: {reason}")]
pub struct InvalidBackend {
    /// The configured URL.
    url: String,
    /// Why.
    reason: String,
}

impl Backend {
    /// A backend at `settings.url`, its queues limited by `queue_configs`.
    pub(crate) fn new(
        settings: &BackendSettings,
        queue_configs: HashMap<String, QueueConfig>,
        metrics: Arc<Metrics>,
    ) -> Result<Backend, InvalidBackend> {
        let invalid = |reason: String| InvalidBackend {
            url: settings.url.clone(),
            reason,
        };
        if !settings.url.starts_with("http://") {
            return Err(invalid(
                "only http:// URLs are supported (a backend on the internal network)".into(),
            ));
        }
        let base = if settings.url.ends_with('/') {
            settings.url.clone()
        } else {
            format!("{}/", settings.url)
        };
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_max_idle_per_host(IDLE_CONNECTIONS)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Backend {
            client,
            signals_url: format!("{base}signals"),
            call_url: format!("{base}call"),
            authorization: format!("Bearer {}", settings.key),
            timeout: settings.timeout,
            known: Mutex::new(Known::default()),
            reading: Arc::default(),
            queues: Mutex::new(Queues::default()),
            queue_configs,
            metrics,
        })
    }

    /// Reads the list of backend signals.
    async fn refresh(&self) -> Result<(), String> {
        let response = self
            .client
            .get(&self.signals_url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .timeout(MANIFEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("GET {}: {e}", self.signals_url))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {}: HTTP {status}", self.signals_url));
        }
        let manifest: Manifest = response
            .json()
            .await
            .map_err(|e| format!("GET {}: {e}", self.signals_url))?;
        let mut known = self.known.lock();
        known.signals = manifest.signals;
        known.concurrency = manifest
            .queues
            .into_iter()
            .map(|(name, queue)| (name, queue.concurrency.max(1)))
            .collect();
        known.read_at = Some(Instant::now());
        Ok(())
    }

    /// Reads the list, logging a failure.
    async fn refresh_logged(&self) {
        if let Err(error) = self.refresh().await {
            tracing::warn!(%error, "cannot read the backend's signals");
        }
    }

    /// How the backend lists `signal`; `None` when it does not.
    async fn listed(self: &Arc<Self>, signal: &str) -> Option<Listed> {
        enum Next {
            Use(Option<Listed>),
            Background(Listed),
            Read(tokio::sync::OwnedMutexGuard<()>),
            AwaitRead,
        }
        let next = {
            let mut known = self.known.lock();
            let now = Instant::now();
            let since = |at: Option<Instant>, within: Duration| {
                at.is_some_and(|at| now.duration_since(at) < within)
            };
            let fresh = since(known.read_at, MANIFEST_REFRESH);
            let tried = since(known.tried_at, MANIFEST_RETRY);
            match known.signals.get(signal).cloned() {
                Some(listed) if fresh || tried => Next::Use(Some(listed)),
                Some(listed) => {
                    known.tried_at = Some(now);
                    Next::Background(listed)
                }
                // Never read yet: a read is under way (calls wait for it), or just failed.
                None if tried && known.read_at.is_none() => Next::AwaitRead,
                None if tried => Next::Use(None),
                None => {
                    known.tried_at = Some(now);
                    match self.reading.clone().try_lock_owned() {
                        Ok(reading) => Next::Read(reading),
                        Err(_) => Next::AwaitRead,
                    }
                }
            }
        };
        match next {
            Next::Use(listed) => listed,
            Next::Background(listed) => {
                let backend = self.clone();
                tokio::spawn(async move { backend.refresh_logged().await });
                Some(listed)
            }
            Next::Read(_reading) => {
                self.refresh_logged().await;
                self.known.lock().signals.get(signal).cloned()
            }
            Next::AwaitRead => {
                let _read = self.reading.lock().await;
                self.known.lock().signals.get(signal).cloned()
            }
        }
    }

    /// Whether the backend handles `signal` (reading the list when needed).
    pub(crate) async fn handles(self: &Arc<Self>, signal: &str) -> bool {
        self.listed(signal)
            .await
            .is_some_and(|listed| !listed.queues.is_empty())
    }

    /// Runs `signal`'s backend handlers, one call per queue: the first non-null result, or
    /// the first error, and the triggers of every answer. `unknown_signal` when the backend
    /// has none, `handler_error` while its list of signals was never read.
    pub(crate) async fn call(
        self: &Arc<Self>,
        window: &WindowInfo,
        signal: &str,
        opts: &Opts,
        from_browser: bool,
    ) -> CallOutcome {
        let queues = match self.listed(signal).await {
            // Server-only: invisible to browsers, as Rust server-only handlers are.
            Some(listed) if listed.browser || !from_browser => listed.queues,
            _ => Vec::new(),
        };
        if queues.is_empty() {
            if self.known.lock().read_at.is_none() {
                // The list was never read: the backend is down, not the name unknown.
                self.count("unavailable");
                return CallOutcome::only(Err(SignalError::handler("the backend is unavailable")));
            }
            return CallOutcome::only(Err(SignalError::new(
                ErrorCode::UnknownSignal,
                format!("unknown signal `{signal}`"),
            )));
        }
        let calls = queues
            .iter()
            .map(|queue| self.call_queue(window, signal, opts, queue, from_browser));
        let mut result = Ok(Value::Null);
        let mut triggers = Vec::new();
        for outcome in futures_util::future::join_all(calls).await {
            triggers.extend(outcome.triggers);
            match (&mut result, outcome.result) {
                (Ok(value), Ok(next)) if value.is_null() => *value = next,
                (Ok(_), Err(error)) => result = Err(error),
                _ => {}
            }
        }
        if triggers.len() > MAX_ANSWER_TRIGGERS {
            tracing::warn!(%signal, count = triggers.len(), "the backend's answer carries too \
                many triggers; the first {MAX_ANSWER_TRIGGERS} are sent");
            triggers.truncate(MAX_ANSWER_TRIGGERS);
        }
        CallOutcome { result, triggers }
    }

    /// One call on one queue, within the queue's limits and the time limit.
    async fn call_queue(
        &self,
        window: &WindowInfo,
        signal: &str,
        opts: &Opts,
        queue_name: &str,
        from_browser: bool,
    ) -> CallOutcome {
        let queue = self.queues.lock().get_or_create_with(queue_name, || {
            // Configured limits first; else the concurrency the backend gives the queue.
            self.queue_configs
                .get(queue_name)
                .copied()
                .unwrap_or_else(|| {
                    let concurrency = self.known.lock().concurrency.get(queue_name).copied();
                    QueueConfig {
                        concurrency: concurrency.unwrap_or(QueueConfig::default().concurrency),
                        ..QueueConfig::default()
                    }
                })
        });
        let Ok(_slot) = queue.enter().await else {
            self.count("rate_limited");
            return CallOutcome::only(Err(SignalError::new(
                ErrorCode::RateLimited,
                format!("the `{queue_name}` handler queue is full"),
            )));
        };
        let body = CallBody {
            signal,
            opts,
            queue: queue_name,
            from_browser,
            window,
            accepts_triggers: true,
        };
        let sent = self
            .client
            .post(&self.call_url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .json(&body)
            .timeout(self.timeout)
            .send()
            .await;
        let answer = match sent {
            Ok(response) if response.status().is_success() => read_answer::<Answer>(response).await,
            Ok(response) => {
                let status = response.status();
                self.count("http_error");
                tracing::warn!(%signal, %status, "the backend refused a call");
                return CallOutcome::only(Err(SignalError::handler(format!(
                    "the backend answered HTTP {}",
                    status.as_u16()
                ))));
            }
            Err(error) => Err(ReadError::Transport(error)),
        };
        let (result, triggers) = match answer {
            Ok(Answer {
                ok: true,
                result,
                triggers,
                ..
            }) => {
                self.count("ok");
                (Ok(result), triggers)
            }
            Ok(Answer {
                error, triggers, ..
            }) => {
                let error = error.unwrap_or(AnswerError {
                    code: ErrorCode::HandlerError.as_str().into(),
                    message: "the backend reported an error".into(),
                });
                let code = ErrorCode::ALL
                    .into_iter()
                    .find(|c| c.as_str() == error.code)
                    .unwrap_or(ErrorCode::HandlerError);
                self.count(code.as_str());
                (Err(SignalError::new(code, error.message)), triggers)
            }
            Err(ReadError::Transport(error)) if error.is_timeout() => {
                self.count("timeout");
                let message = format!(
                    "`{signal}` did not finish within {} ms",
                    self.timeout.as_millis()
                );
                (
                    Err(SignalError::new(ErrorCode::Timeout, message)),
                    Vec::new(),
                )
            }
            Err(ReadError::TooLarge) => {
                self.count("unavailable");
                tracing::warn!(%signal, "the backend's answer is larger than {MAX_ANSWER_BYTES} bytes");
                let message =
                    format!("the backend's answer is larger than {MAX_ANSWER_BYTES} bytes");
                (Err(SignalError::handler(message)), Vec::new())
            }
            Err(ReadError::Transport(error)) => {
                self.count("unavailable");
                tracing::warn!(%signal, %error, "cannot call the backend");
                (
                    Err(SignalError::handler("the backend is unavailable")),
                    Vec::new(),
                )
            }
            Err(ReadError::Json(error)) => {
                self.count("unavailable");
                tracing::warn!(%signal, %error, "the backend's answer is not a call answer");
                (
                    Err(SignalError::handler("the backend is unavailable")),
                    Vec::new(),
                )
            }
        };
        CallOutcome { result, triggers }
    }

    /// Counts a trigger of an answer that could not be sent.
    pub(crate) fn count_refused_trigger(&self) {
        self.count("trigger_refused");
    }

    fn count(&self, outcome: &str) {
        self.metrics
            .backend_calls
            .with_label_values(&[outcome])
            .inc();
    }
}
