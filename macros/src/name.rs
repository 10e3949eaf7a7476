//! The signal name rule of PROTOCOL.md, checked at compile time.
//!
//! This mirrors `is_valid_signal_name` in the `protocol` module of `switchboard`, which the router applies again
//! at build time (a proc-macro crate cannot depend on the crate that uses it).

/// The longest signal name, in bytes.
const MAX_SIGNAL_NAME_LEN: usize = 128;

/// The rule, as shown in error messages.
pub(crate) const SIGNAL_NAME_RULE: &str = "a signal name is dot-separated identifiers \
     (`^[_A-Za-z][_A-Za-z0-9]*(\\.[_A-Za-z][_A-Za-z0-9]*)*$`) of at most 128 bytes, \
     such as `chat.send`";

/// Whether `name` is a valid signal name: dot-separated segments, at most 128 bytes.
pub(crate) fn is_valid_signal_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_SIGNAL_NAME_LEN && name.split('.').all(is_valid_segment)
}

/// Whether `segment` is one identifier of a signal name: `[_A-Za-z][_A-Za-z0-9]*`.
pub(crate) fn is_valid_segment(segment: &str) -> bool {
    let mut bytes = segment.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
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
