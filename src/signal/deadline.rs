//! A handler's time limit that costs nothing until the handler waits.
//!
//! `tokio::time::timeout` arms its timer when it is created: a clock read, a look-up of the
//! runtime's handle (a thread-local and a reference count) and a timer entry, for every call,
//! though most handlers answer on their first poll. [`Deadline`] polls the handler first and
//! arms the timer only when the handler returns `Pending`, at the deadline computed from
//! when the handler started (the caller reads the clock once, for its duration metric too).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::time::Sleep;

/// Runs a future until a deadline (see the module's documentation).
pub(super) struct Deadline<F> {
    /// The handler's future.
    future: F,
    /// When it must have finished; `None` for a limit too far to represent (never).
    at: Option<Instant>,
    /// The timer, armed at the first `Pending`.
    timer: Option<Pin<Box<Sleep>>>,
}

/// The deadline passed before the future finished.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Elapsed;

impl<F> Deadline<F> {
    /// `future`, limited to `limit` from `started`.
    pub(super) fn new(future: F, started: Instant, limit: std::time::Duration) -> Deadline<F> {
        Deadline {
            future,
            at: started.checked_add(limit),
            timer: None,
        }
    }
}

impl<F: Future + Unpin> Future for Deadline<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // As `tokio::time::timeout`: the future first, so one that is ready is never late.
        if let Poll::Ready(output) = Pin::new(&mut this.future).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let Some(at) = this.at else {
            return Poll::Pending;
        };
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_ready_future_is_not_late_even_past_its_deadline() {
        let long_ago = Instant::now() - Duration::from_secs(10);
        let outcome = Deadline::new(std::future::ready(7), long_ago, Duration::from_secs(1)).await;
        assert_eq!(outcome, Ok(7));
    }

    #[tokio::test]
    async fn a_future_that_waits_past_its_deadline_is_cut_off() {
        let started = Instant::now();
        let never = std::future::pending::<()>();
        let outcome = Deadline::new(never, started, Duration::from_millis(50)).await;
        assert_eq!(outcome, Err(Elapsed));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn a_future_that_waits_and_finishes_in_time_gives_its_output() {
        let started = Instant::now();
        let soon = Box::pin(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            "done"
        });
        let outcome = Deadline::new(soon, started, Duration::from_secs(10)).await;
        assert_eq!(outcome, Ok("done"));
    }

    #[tokio::test]
    async fn a_limit_too_far_to_represent_never_elapses() {
        let soon = Box::pin(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            1
        });
        let outcome = Deadline::new(soon, Instant::now(), Duration::MAX).await;
        assert_eq!(outcome, Ok(1));
    }
}
