//! Frames from the browser (PROTOCOL.md §4): parsing a text frame into a call.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    let fields = match serde_json::from_str::<Fields>(text) {
        Ok(Fields(Some(fields))) => fields,
        Ok(Fields(None)) => return Err(bad("a frame must be a JSON object")),
        Err(e) => return Err(bad(format!("invalid JSON: {e}"))),
    };
    let signal = match fields.signal {
        Some(Value::String(s)) if super::is_valid_signal_name(&s) => s,
        Some(Value::String(_)) => {
            return Err(bad(
                "`signal` must be dot-separated identifiers of at most 128 bytes",
            ))
        }
        Some(_) => return Err(bad("`signal` must be a string")),
        None => return Err(bad("missing `signal`")),
    };
    let opts = match fields.opts {
        None => Map::new(),
        Some(Value::Object(opts)) => opts,
        Some(_) => return Err(bad("`opts` must be a JSON object")),
    };
    let id = match fields.id {
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

/// The members of a frame that a call reads, as they came; `None` when the frame is valid
/// JSON but not an object.
///
/// Read straight from the text: the frame is not built as a JSON object first and then
/// taken apart (its keys allocated, then looked up and removed), and members it does not
/// know are checked as JSON and skipped. As with a JSON object, a repeated member keeps its
/// last value.
struct Fields(Option<CallFields>);

/// See [`Fields`].
#[derive(Default)]
struct CallFields {
    signal: Option<Value>,
    opts: Option<Value>,
    id: Option<Value>,
}

/// A member's name, as far as a call cares.
enum Member {
    Signal,
    Opts,
    Id,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Member, E> {
                Ok(match name {
                    "signal" => Member::Signal,
                    "opts" => Member::Opts,
                    "id" => Member::Id,
                    _ => Member::Other,
                })
            }
        }
        deserializer.deserialize_identifier(Name)
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldsVisitor)
    }
}

/// Reads an object's members into [`CallFields`], and any other JSON value as `None`.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = CallFields::default();
        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::Signal => fields.signal = Some(map.next_value()?),
                Member::Opts => fields.opts = Some(map.next_value()?),
                Member::Id => fields.id = Some(map.next_value()?),
                Member::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Fields(Some(fields)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Fields, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Fields(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Fields, E> {
        Ok(Fields(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Fields, E> {
        Ok(Fields(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Fields, E> {
        Ok(Fields(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Fields, E> {
        Ok(Fields(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Fields, E> {
        Ok(Fields(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Fields, E> {
        Ok(Fields(None))
    }
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

    #[test]
    fn members_are_read_as_a_json_object_would_hold_them() {
        // Other members are skipped, a repeated one keeps its last value, escaped names
        // are the names they spell.
        assert_eq!(
            call(r#"{"x":[1,{"y":null}],"signal":"a","opts":{"o":1},"signal":"b","z":"s"}"#),
            ("b".into(), json!({"o":1}), None)
        );
        assert_eq!(
            call(r#"{"sig\u006eal":"a","\u0069d":"r"}"#),
            ("a".into(), json!({}), Some(json!("r")))
        );
        for not_an_object in [
            "[]",
            "[{\"signal\":\"a\"}]",
            "1",
            "-1",
            "1.5",
            "\"s\"",
            "true",
            "null",
        ] {
            let err = parse_frame(not_an_object).unwrap_err();
            assert_eq!(err.0, "a frame must be a JSON object", "{not_an_object}");
        }
        // A skipped member must still be JSON; so must what follows the object.
        for broken in [
            r#"{"signal":"a","x":[1,}"#,
            r#"{"signal":"a"} x"#,
            r#"{"signal":"a""#,
        ] {
            let err = parse_frame(broken).unwrap_err();
            assert!(err.0.starts_with("invalid JSON"), "{broken}: {err}");
        }
    }
}
