//! Reading benchmark markers out of received frames without parsing JSON.
//!
//! A receiver handles up to a million frames a second on a shared core; a JSON parser per
//! frame would measure the bench, not the server. The markers are fixed byte strings
//! followed by an unsigned decimal number.

use memchr::memmem::Finder;
use std::sync::LazyLock;

static SEQ: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""bench_seq":"#));
static T: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""bench_t":"#));
static REPLY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""reply_to":"#));
static FAILED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""ok":false"#));

/// What a received frame is, as far as the benchmark cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A delivered trigger: its sequence number and send time (µs).
    Delivery { seq: u64, t: u64 },
    /// A reply to a request sent at `t` (µs); `ok` is false for an error reply.
    Reply { t: u64, ok: bool },
    /// Anything else (heartbeats, other signals).
    Other,
}

/// Classifies one text frame.
pub fn frame(text: &[u8]) -> Frame {
    if REPLY.find(text).is_some() {
        let ok = FAILED.find(text).is_none();
        return match number_after(&T, text) {
            Some(t) => Frame::Reply { t, ok },
            None => Frame::Reply { t: 0, ok: false },
        };
    }
    match (number_after(&SEQ, text), number_after(&T, text)) {
        (Some(seq), Some(t)) => Frame::Delivery { seq, t },
        _ => Frame::Other,
    }
}

/// The decimal number right after the first occurrence of `marker`.
fn number_after(marker: &Finder<'_>, text: &[u8]) -> Option<u64> {
    let start = marker.find(text)? + marker.needle().len();
    let mut value: u64 = 0;
    let mut digits = 0;
    for &b in text[start..].iter().skip_while(|b| **b == b' ') {
        if !b.is_ascii_digit() {
            break;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        digits += 1;
    }
    (digits > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_replies_and_others() {
        assert_eq!(
            frame(
                br#"{"signal":"bench.tick","opts":{"bench_seq":12,"bench_t":345},"signal_id":"x"}"#
            ),
            Frame::Delivery { seq: 12, t: 345 }
        );
        assert_eq!(
            frame(br#"{"reply_to": 7, "ok": true, "result": {"bench_t": 99}}"#),
            Frame::Reply { t: 99, ok: true }
        );
        assert_eq!(
            frame(br#"{"reply_to":7,"ok":false,"error":{"code":"timeout"}}"#),
            Frame::Reply { t: 0, ok: false }
        );
        assert_eq!(frame(b"--heartbeat--"), Frame::Other);
        assert_eq!(frame(br#"{"bench_seq":}"#), Frame::Other);
    }
}
