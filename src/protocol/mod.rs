//! The wire contract of PROTOCOL.md: what travels over a window's websocket.
//!
//! This module owns the shapes of frames in both directions, the error codes and the close
//! codes. Every other module goes through it, so the protocol lives in one place.

mod close;
mod error;
mod inbound;
mod outbound;

pub use close::Disconnect;
pub use error::ErrorCode;
pub use inbound::{parse_frame, CallId, Inbound, MAX_SIGNAL_NAME_LEN};
pub use outbound::{
    error_frame, position_frame, reply_error, reply_ok, resync_frame, signal_frame, HEARTBEAT,
};

/// Whether `name` is a valid signal name (PROTOCOL.md §1): dot-separated identifiers of
/// `[_A-Za-z][_A-Za-z0-9]*`, at most 128 bytes.
pub fn is_valid_signal_name(name: &str) -> bool {
    if name.is_empty() || name.len() > MAX_SIGNAL_NAME_LEN {
        return false;
    }
    // One pass over the bytes (this runs on every call): each dot-separated part starts
    // with a letter or `_`, and goes on with letters, digits or `_`.
    let mut part_start = true;
    for &b in name.as_bytes() {
        let ok = match b {
            b'.' => !part_start,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => true,
            b'0'..=b'9' => !part_start,
            _ => false,
        };
        if !ok {
            return false;
        }
        part_start = b == b'.';
    }
    !part_start
}

#[cfg(test)]
mod tests {
    use super::is_valid_signal_name;

    #[test]
    fn signal_names() {
        for good in ["a", "chat.send", "_x._y1", "A.b.C9"] {
            assert!(is_valid_signal_name(good), "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "1a", "a.1b", "a-b", "a b", "é"] {
            assert!(!is_valid_signal_name(bad), "{bad}");
        }
        assert!(is_valid_signal_name(&"a".repeat(128)));
        assert!(!is_valid_signal_name(&"a".repeat(129)));
    }
}
