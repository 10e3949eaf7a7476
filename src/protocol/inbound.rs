//! Frames from the browser (PROTOCOL.md §4): parsing a text frame into a call.

use serde_json::{Map, Value};

/// Longest signal name accepted, in bytes (PROTOCOL.md §1).
pub const MAX_SIGNAL_NAME_LEN: usize = 128;

/// Longest string call id, in characters (PROTOCOL.md §4).
const MAX_CALL_ID_CHARS: usize = 64;

/// The literal keep-alive frame, in both directions.
const HEARTBEAT: &str = "--heartbeat--";

/// The id of a call that wants a reply: a short string or an integer, echoed as `reply_to`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallId(Value);

impl CallId {
    /// The id as JSON, to echo verbatim.
    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

/// A well-formed frame from the browser.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// `--heartbeat--`: answer with the same text.
    Heartbeat,
    /// A call of the server handlers of `signal`.
    Call {
        /// The signal name, already validated.
        signal: String,
        /// The call's options (`{}` when omitted).
        opts: Map<String, Value>,
        /// Present when the browser wants exactly one reply frame.
        id: Option<CallId>,
    },
}

/// Why a frame is not a well-formed call; the message is sent back with `bad_frame`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadFrame(pub String);

fn bad(message: impl Into<String>) -> BadFrame {
    BadFrame(message.into())
}

/// Parses one text frame from the browser.
pub fn parse_frame(text: &str) -> Result<Inbound, BadFrame> {
    if text == HEARTBEAT {
        return Ok(Inbound::Heartbeat);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let Value::Object(mut frame) = value else {
        return Err(bad("a frame must be a JSON object"));
    };
    let signal = match frame.remove("signal") {
        Some(Value::String(s)) if super::is_valid_signal_name(&s) => s,
        Some(Value::String(_)) => {
            return Err(bad(
                "`signal` must be dot-separated identifiers of at most 128 bytes",
            ))
        }
        Some(_) => return Err(bad("`signal` must be a string")),
        None => return Err(bad("missing `signal`")),
    };
    let opts = match frame.remove("opts") {
        None => Map::new(),
        Some(Value::Object(opts)) => opts,
        Some(_) => return Err(bad("`opts` must be a JSON object")),
    };
    let id = match frame.remove("id") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= MAX_CALL_ID_CHARS => {
            Some(CallId(Value::String(s)))
        }
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(CallId(Value::Number(n))),
        Some(_) => {
            return Err(bad(
                "`id` must be a string of 1 to 64 characters or an integer",
            ))
        }
    };
    Ok(Inbound::Call { signal, opts, id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(text: &str) -> (String, Value, Option<Value>) {
        match parse_frame(text).unwrap() {
            Inbound::Call { signal, opts, id } => (signal, Value::Object(opts), id.map(|i| i.0)),
            other => panic!("not a call: {other:?}"),
        }
    }

    #[test]
    fn heartbeat() {
        assert_eq!(parse_frame("--heartbeat--"), Ok(Inbound::Heartbeat));
    }

    #[test]
    fn calls() {
        assert_eq!(call(r#"{"signal":"a.b"}"#), ("a.b".into(), json!({}), None));
        assert_eq!(
            call(r#"{"signal":"a","opts":{"x":1},"id":"r1"}"#),
            ("a".into(), json!({"x":1}), Some(json!("r1")))
        );
        assert_eq!(call(r#"{"signal":"a","id":7}"#).2, Some(json!(7)));
    }

    #[test]
    fn bad_frames_name_the_problem() {
        let cases = [
            ("nope", "invalid JSON"),
            ("[1,2]", "JSON object"),
            ("{}", "missing `signal`"),
            (r#"{"signal":3}"#, "must be a string"),
            (r#"{"signal":"a..b"}"#, "dot-separated"),
            (r#"{"signal":"a","opts":[]}"#, "`opts`"),
            (r#"{"signal":"a","id":""}"#, "`id`"),
            (r#"{"signal":"a","id":1.5}"#, "`id`"),
            (r#"{"signal":"a","id":null}"#, "`id`"),
        ];
        for (frame, expected) in cases {
            let err = parse_frame(frame).unwrap_err();
            assert!(err.0.contains(expected), "{frame}: {err}");
        }
        let long_id = format!(r#"{{"signal":"a","id":"{}"}}"#, "x".repeat(65));
        assert!(parse_frame(&long_id).is_err());
    }
}
