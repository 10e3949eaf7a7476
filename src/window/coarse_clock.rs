//! A clock read with one atomic load, for the checks on the hot path of fan-out.
//!
//! Reading the system clock while a connection's queue is locked, once per delivery, cost a
//! fifth of the fan-out throughput at 10,000 windows (bench/ab.sh). The write timeout needs no
//! such precision: a thread of its own advances this clock every [`TICK`], and the outbox reads
//! it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

/// How often the clock advances: the precision of the write timeout.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// Milliseconds since [`START`], as of the last tick.
static NOW_MS: AtomicU64 = AtomicU64::new(0);

/// When the clock started.
static START: OnceLock<Instant> = OnceLock::new();

/// Starts the ticking thread, once per process.
static TICKER: Once = Once::new();

/// Milliseconds since the clock started, at most [`TICK`] behind.
pub(super) fn now_ms() -> u64 {
    TICKER.call_once(|| {
        let start = *START.get_or_init(Instant::now);
        std::thread::Builder::new()
            .name("switchboard-clock".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                NOW_MS.store(elapsed, Ordering::Relaxed);
            })
            .expect("a thread for the coarse clock");
    });
    NOW_MS.load(Ordering::Relaxed)
}

/// `duration` in milliseconds, saturating.
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_advances_by_ticks() {
        let before = now_ms();
        std::thread::sleep(TICK * 3);
        let after = now_ms();
        assert!(after >= before + millis(TICK), "{before} → {after}");
    }
}
