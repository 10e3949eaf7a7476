//! Running server handlers: permission checks, named queues, time limits, panic containment.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::join_all;
use futures_util::FutureExt;
use serde_json::Value;

use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::backend::{AnsweredTrigger, Backend};
use super::deadline::Deadline;
use super::router::{Entry, Inner};
use super::{Destinations, Opts, SignalContext, SignalError, SignalRouter, To, TriggerError};
use crate::identity::WindowInfo;
use crate::protocol::ErrorCode;
use crate::topic::ConnectionTopics;

impl SignalRouter {
    /// Runs the handlers of a call made by a browser window and returns the result for its
    /// reply: the first non-null result of the allowed handlers (registration order), or the
    /// first error.
    ///
    /// Handlers that are server-only are invisible here (`unknown_signal`), so their names do
    /// not leak; handlers that exist for browsers but refuse this window give `forbidden`.
    pub async fn call(
        &self,
        window: Arc<WindowInfo>,
        signal: &str,
        opts: Opts,
    ) -> Result<Value, SignalError> {
        self.call_over(window, None, signal, opts).await
    }

    /// [`SignalRouter::call`] for a call made over `connection`, a connection of this node:
    /// its handlers can read the window's topics from this node's registry when the broker
    /// cannot be asked.
    pub(crate) async fn call_over(
        &self,
        window: Arc<WindowInfo>,
        connection: Option<ConnectionTopics>,
        signal: &str,
        opts: Opts,
    ) -> Result<Value, SignalError> {
        self.inner.metrics.signals_in.inc();
        let result = self.call_inner(window, connection, signal, opts).await;
        if let Err(error) = &result {
            self.inner.metrics.error(error.code());
        }
        result
    }

    async fn call_inner(
        &self,
        window: Arc<WindowInfo>,
        connection: Option<ConnectionTopics>,
        signal: &str,
        opts: Opts,
    ) -> Result<Value, SignalError> {
        // Nothing is collected on the way (this runs on every call): most signals have one
        // handler, and the multi-handler case collects its own list.
        let entries = self
            .inner
            .handlers
            .get(signal)
            .map_or(&[][..], Vec::as_slice);
        let callable = |entry: &&Arc<Entry>| entry.spec.allowed.is_browser_callable();
        if !entries.iter().any(|entry| callable(&entry)) {
            if let Some(backend) = &self.inner.backend {
                let _running = Running::enter(&self.inner);
                let outcome = backend.call(&window, signal, &opts, true).await;
                self.send_answered(backend, outcome.triggers).await;
                return outcome.result;
            }
            return Err(SignalError::new(
                ErrorCode::UnknownSignal,
                format!("unknown signal `{signal}`"),
            ));
        }
        let allows = |entry: &&Arc<Entry>| callable(entry) && entry.spec.allowed.allows(&window);
        let mut allowed = entries.iter().filter(allows);
        let (first, second) = (allowed.next(), allowed.next());
        let Some(first) = first else {
            return Err(SignalError::forbidden(format!(
                "this window may not call `{signal}`"
            )));
        };
        let Some(second) = second else {
            let ctx = SignalContext::new(self.clone(), window, first.signal.clone(), true)
                .with_connection(connection);
            return self.run(first, ctx, opts).await;
        };
        let entries: Vec<&Arc<Entry>> = [first, second].into_iter().chain(allowed).collect();
        let ctx = SignalContext::new(self.clone(), window, first.signal.clone(), true)
            .with_connection(connection);
        let runs = entries
            .iter()
            .map(|entry| self.run(entry, ctx.clone(), opts.clone()));
        let mut result = Value::Null;
        for outcome in join_all(runs).await {
            let value = outcome?;
            if result.is_null() {
                result = value;
            }
        }
        Ok(result)
    }

    /// Sends the triggers a backend's answer carried (PROTOCOL.md §10.3), in order, as
    /// `POST /api/v1/trigger` would; one that cannot be sent is logged and counted.
    async fn send_answered(&self, backend: &Backend, triggers: Vec<AnsweredTrigger>) {
        for trigger in triggers {
            let to: Result<Vec<To>, String> = trigger.to.iter().map(To::from_json).collect();
            let sent = match to {
                Ok(to) if !to.is_empty() => self
                    .trigger_with_id(
                        trigger.signal_id.unwrap_or_else(Uuid::new_v4),
                        (),
                        &trigger.signal,
                        Destinations(to),
                        trigger.opts.unwrap_or_default(),
                    )
                    .await
                    .map(|_| ())
                    .or_else(|error| match error {
                        // As the API's 503 `local_only`: this node's windows have it.
                        TriggerError::LocalOnly { .. } => {
                            tracing::warn!(signal = %trigger.signal, %error, "a trigger of the backend's answer reached this node only");
                            Ok(())
                        }
                        error => Err(error.to_string()),
                    }),
                Ok(_) => Err("`to`: at least one destination is required".into()),
                Err(problem) => Err(format!("`to`: {problem}")),
            };
            if let Err(problem) = sent {
                backend.count_refused_trigger();
                tracing::warn!(signal = %trigger.signal, %problem, "cannot send a trigger of the backend's answer");
            }
        }
    }

    /// Runs every handler of `signal` for a server-side trigger, in the background and
    /// without permission checks. Failures are logged and counted.
    pub(crate) fn spawn_server_handlers(&self, window: Arc<WindowInfo>, signal: &str, opts: Opts) {
        if let Some(backend) = &self.inner.backend {
            let backend = backend.clone();
            let router = self.clone();
            let (window, signal, opts) = (window.clone(), signal.to_owned(), opts.clone());
            tokio::spawn(async move {
                if !backend.handles(&signal).await {
                    return;
                }
                let _running = Running::enter(&router.inner);
                let outcome = backend.call(&window, &signal, &opts, false).await;
                router.send_answered(&backend, outcome.triggers).await;
                if let Err(error) = outcome.result {
                    router.inner.metrics.error(error.code());
                    tracing::warn!(%signal, %error, "server-triggered backend handler failed");
                }
            });
        }
        let Some(entries) = self.inner.handlers.get(signal) else {
            tracing::debug!(signal, "server trigger of a signal without handlers");
            return;
        };
        for entry in entries {
            let router = self.clone();
            let entry = entry.clone();
            let ctx = SignalContext::new(self.clone(), window.clone(), entry.signal.clone(), false);
            let opts = opts.clone();
            tokio::spawn(async move {
                if let Err(error) = router.run(&entry, ctx, opts).await {
                    router.inner.metrics.error(error.code());
                    tracing::warn!(signal = %entry.spec.path, handler = entry.spec.name,
                        %error, "server-triggered handler failed");
                }
            });
        }
    }

    /// Runs one handler on its queue, within its time limit, containing panics.
    async fn run(
        &self,
        entry: &Entry,
        ctx: SignalContext,
        opts: Opts,
    ) -> Result<Value, SignalError> {
        let _slot = entry.queue.enter().await.map_err(|_| {
            SignalError::new(
                ErrorCode::RateLimited,
                format!("the `{}` handler queue is full", entry.queue.name),
            )
        })?;
        let _running = Running::enter(&self.inner);
        let started = Instant::now();
        let outcome =
            match std::panic::catch_unwind(AssertUnwindSafe(|| entry.handler.call(ctx, opts))) {
                Ok(future) => {
                    let future = AssertUnwindSafe(future).catch_unwind();
                    Deadline::new(future, started, entry.timeout).await
                }
                Err(panic) => Ok(Err(panic)),
            };
        entry.duration.observe(started.elapsed().as_secs_f64());
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(signal = %entry.spec.path, handler = entry.spec.name,
                    panic = %what, "signal handler panicked");
                Err(SignalError::handler("internal error"))
            }
            Err(_) => Err(SignalError::new(
                ErrorCode::Timeout,
                format!(
                    "`{}` did not finish within {} ms",
                    entry.spec.path,
                    entry.timeout.as_millis()
                ),
            )),
        }
    }
}

/// One running handler, counted while it lives.
struct Running<'a>(&'a Inner);

impl<'a> Running<'a> {
    fn enter(inner: &'a Inner) -> Running<'a> {
        inner.running.fetch_add(1, Ordering::AcqRel);
        Running(inner)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
