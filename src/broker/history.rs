//! Topic history: positions, what a broker keeps, and what a recovery finds.
//!
//! Every trigger published while history is on gets an **offset** from one sequence for the
//! whole server (one node with the in-memory broker, every node sharing one Redis), so a
//! single number orders everything a window can receive, whatever its topic. The sequence is
//! named by an **epoch**, which changes whenever the history is lost: a position from another
//! epoch is never trusted. Each targeted topic keeps the trigger (one append per topic, never
//! per recipient) until it is pushed out by newer ones (`size`), grows too old (`ttl`), or the
//! broker's total bound needs the room (`max_bytes`).
//!
//! A window that comes back with the last position it saw asks [`Broker::recover`] for what
//! its topics received since; the answer is everything, in offset order and once each, or
//! nothing at all ([`Recovery::Failed`] says why).
//!
//! [`Broker::recover`]: super::Broker::recover

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytestring::ByteString;

/// How much history a broker keeps, and how much one recovery may replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySettings {
    /// Triggers kept per topic; 0 turns history and recovery off.
    pub size: usize,
    /// How long a trigger is kept (and the oldest position a recovery accepts).
    pub ttl: Duration,
    /// Most triggers replayed in one recovery; beyond it the recovery fails (a page that was
    /// away that long should refetch instead).
    pub recovery_max: usize,
    /// Bound of the whole in-memory history, in bytes (the frames plus a fixed overhead per
    /// entry); the oldest entries of any topic go first.
    pub max_bytes: usize,
}

impl HistorySettings {
    /// No history: frames carry no offset, recoveries always fail.
    pub const OFF: HistorySettings = HistorySettings {
        size: 0,
        ttl: Duration::ZERO,
        recovery_max: 0,
        max_bytes: 0,
    };

    /// Whether history is kept at all.
    pub fn enabled(&self) -> bool {
        self.size > 0 && !self.ttl.is_zero()
    }
}

impl Default for HistorySettings {
    /// 100 triggers per topic for 300 s, recoveries of at most 300, 64 MiB in all.
    fn default() -> Self {
        HistorySettings {
            size: 100,
            ttl: Duration::from_secs(300),
            recovery_max: 300,
            max_bytes: 64 << 20,
        }
    }
}

/// A place in the history: an epoch and an offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Names the sequence the offset belongs to; changes when the history is lost.
    pub epoch: String,
    /// The offset of the last trigger this position covers (0: none yet).
    pub offset: u64,
}

/// Offsets stay below 2^53 so JavaScript reads them exactly.
pub const MAX_OFFSET: u64 = (1 << 53) - 1;

/// A `since` that is not `EPOCH:OFFSET`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a position is `EPOCH:OFFSET` with a decimal offset below 2^53")]
pub struct MalformedPosition;

impl FromStr for Position {
    type Err = MalformedPosition;

    /// Parses `EPOCH:OFFSET` (the wire form of PROTOCOL.md §5.6).
    fn from_str(text: &str) -> Result<Position, MalformedPosition> {
        let (epoch, offset) = text.rsplit_once(':').ok_or(MalformedPosition)?;
        let valid_epoch = !epoch.is_empty()
            && epoch.len() <= 64
            && epoch
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let offset = (!offset.is_empty() && offset.bytes().all(|b| b.is_ascii_digit()))
            .then(|| offset.parse::<u64>().ok())
            .flatten()
            .filter(|o| *o <= MAX_OFFSET)
            .ok_or(MalformedPosition)?;
        if !valid_epoch {
            return Err(MalformedPosition);
        }
        Ok(Position {
            epoch: epoch.to_owned(),
            offset,
        })
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.offset)
    }
}

/// One stored trigger: its offset and its frame as windows receive it (offset included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where it is in the history.
    pub offset: u64,
    /// The frame, byte for byte what live delivery sent.
    pub frame: ByteString,
}

/// Why a recovery replays nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryFailure {
    /// The broker keeps no history.
    Off,
    /// The position is from another epoch: the history it refers to is gone.
    Epoch,
    /// The position is ahead of the history: it does not come from it.
    Future,
    /// A topic dropped triggers after the position (too many since, or the total bound).
    Evicted,
    /// The position is older than the history's time-to-live.
    Expired,
    /// More triggers than `recovery_max` would be replayed.
    TooMany,
    /// The triggers to replay are more bytes than the connection's outbound queue takes
    /// (`outbound_queue_bytes`): sending them would close it as too slow.
    TooLarge,
    /// The position the client sent is not `EPOCH:OFFSET`.
    Malformed,
    /// The history could not be read (the broker's service is unreachable).
    Unavailable,
}

impl RecoveryFailure {
    /// A short name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryFailure::Off => "off",
            RecoveryFailure::Epoch => "epoch",
            RecoveryFailure::Future => "future",
            RecoveryFailure::Evicted => "evicted",
            RecoveryFailure::Expired => "expired",
            RecoveryFailure::TooMany => "too_many",
            RecoveryFailure::TooLarge => "too_large",
            RecoveryFailure::Malformed => "malformed",
            RecoveryFailure::Unavailable => "unavailable",
        }
    }
}

/// The outcome of [`Broker::recover`](super::Broker::recover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Everything the topics received after the position, in offset order and once each;
    /// `position` is the history's top when it was read.
    Recovered {
        /// The triggers to replay.
        entries: Vec<Entry>,
        /// Where live delivery takes over.
        position: Position,
    },
    /// Nothing can be replayed; `position` is the history's top (absent when it is off).
    Failed {
        /// Why.
        reason: RecoveryFailure,
        /// Where live delivery takes over.
        position: Option<Position>,
    },
}

impl Recovery {
    /// What a broker that keeps no history answers.
    pub fn off() -> Recovery {
        Recovery::Failed {
            reason: RecoveryFailure::Off,
            position: None,
        }
    }
}

/// One topic's recent history, for the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicHistory {
    /// The history's top when it was read: resume from here.
    pub position: Position,
    /// The entries asked for, oldest first.
    pub entries: Vec<Entry>,
    /// Whether nothing after the requested position was dropped (always true without one).
    pub complete: bool,
}

/// Appends `"offset": N` to a frame that is a JSON object, as the last member.
///
/// Brokers call this once per trigger: every topic's history and every recipient shares the
/// result.
pub(crate) fn with_offset(frame: &str, offset: u64) -> ByteString {
    let body = frame.trim_end();
    let body = body.strip_suffix('}').unwrap_or(body);
    let mut text = String::with_capacity(body.len() + 32);
    text.push_str(body);
    if !body.trim_end().ends_with('{') {
        text.push(',');
    }
    text.push_str("\"offset\":");
    text.push_str(&offset.to_string());
    text.push('}');
    ByteString::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_and_print() {
        let position: Position = "a1b2:42".parse().unwrap();
        assert_eq!(position.epoch, "a1b2");
        assert_eq!(position.offset, 42);
        assert_eq!(position.to_string(), "a1b2:42");
        for bad in [
            "",
            "abc",
            ":1",
            "abc:",
            "abc:-1",
            "abc:+1",
            "abc:1.5",
            "a b:1",
            "abc:9007199254740992",
            "abc:99999999999999999999999",
        ] {
            assert_eq!(bad.parse::<Position>(), Err(MalformedPosition), "{bad:?}");
        }
        assert_eq!(
            "abc:9007199254740991".parse::<Position>().unwrap().offset,
            MAX_OFFSET
        );
    }

    #[test]
    fn the_offset_becomes_the_last_member() {
        assert_eq!(
            &*with_offset(r#"{"signal":"a","opts":{},"signal_id":"x"}"#, 7),
            r#"{"signal":"a","opts":{},"signal_id":"x","offset":7}"#
        );
        assert_eq!(&*with_offset("{}", 1), r#"{"offset":1}"#);
    }
}
