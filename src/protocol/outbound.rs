//! Frames to the browser (PROTOCOL.md §5), serialised once into shareable bytes.
//!
//! Every builder returns a [`ByteString`]: cloning one is a reference-count increment, so a
//! trigger serialised once reaches every recipient without a copy.

use bytes::Bytes;
use bytestring::ByteString;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{CallId, ErrorCode};

/// The keep-alive frame, echoed to a client's heartbeat.
pub const HEARTBEAT: &str = "--heartbeat--";

/// The signal every window gets when messages may have been missed (PROTOCOL.md §5).
pub const RESYNC_SIGNAL: &str = "df.resync";

#[derive(Serialize)]
struct SignalFrame<'a, O: Serialize + ?Sized> {
    signal: &'a str,
    opts: &'a O,
    signal_id: Uuid,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct ReplyError<'a> {
    reply_to: &'a Value,
    ok: bool,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorFrame<'a> {
    error: ErrorBody<'a>,
}

fn encode<T: Serialize>(frame: &T) -> Result<ByteString, serde_json::Error> {
    serde_json::to_string(frame).map(ByteString::from)
}

/// `{"signal": NAME, "opts": OPTS, "signal_id": UUID}`. Fails only when `opts` cannot be
/// represented as JSON (for example a map with non-string keys).
pub fn signal_frame<O: Serialize + ?Sized>(
    signal: &str,
    opts: &O,
    signal_id: Uuid,
) -> Result<ByteString, serde_json::Error> {
    encode(&SignalFrame {
        signal,
        opts,
        signal_id,
    })
}

/// `{"reply_to": ID, "ok": true, "result": VALUE}`. Written piece by piece (the frame of
/// every successful call): the keys are constants, so only the id and the result go through
/// the serialiser.
///
/// The frame is written into the thread's scratch buffer and copied out at its exact size:
/// one allocation per reply. (Bytes made from a `Vec` with spare capacity would take a
/// second one, for the shared header that remembers the capacity.)
pub fn reply_ok(id: &CallId, result: &Value) -> ByteString {
    const OPEN: &[u8] = br#"{"reply_to":"#;
    const MIDDLE: &[u8] = br#","ok":true,"result":"#;
    REPLY_SCRATCH.with_borrow_mut(|frame| {
        frame.clear();
        frame.extend_from_slice(OPEN);
        serde_json::to_writer(&mut *frame, id.as_json()).expect("a JSON value always serialises");
        frame.extend_from_slice(MIDDLE);
        serde_json::to_writer(&mut *frame, result).expect("a JSON value always serialises");
        frame.push(b'}');
        let bytes = Bytes::copy_from_slice(frame);
        if frame.capacity() > REPLY_SCRATCH_KEPT {
            // A large result: do not hold its size for the thread's life.
            *frame = Vec::new();
        }
        ByteString::try_from(bytes).expect("serde_json writes UTF-8")
    })
}

/// Largest scratch buffer a thread keeps between replies, in bytes.
const REPLY_SCRATCH_KEPT: usize = 16 * 1024;

thread_local! {
    /// Where [`reply_ok`] writes a reply before copying it out.
    static REPLY_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `{"reply_to": ID, "ok": false, "error": {"code": CODE, "message": TEXT}}`.
pub fn reply_error(id: &CallId, code: ErrorCode, message: &str) -> ByteString {
    encode(&ReplyError {
        reply_to: id.as_json(),
        ok: false,
        error: ErrorBody {
            code: code.as_str(),
            message,
        },
    })
    .expect("strings always serialise")
}

/// `{"error": {"code": CODE, "message": TEXT}}`: a frame that could not be accepted at all.
pub fn error_frame(code: ErrorCode, message: &str) -> ByteString {
    encode(&ErrorFrame {
        error: ErrorBody {
            code: code.as_str(),
            message,
        },
    })
    .expect("strings always serialise")
}

/// A `df.resync` signal frame with opts `{"recovered": false}` and a fresh `signal_id` (each
/// one must be new, or a client would drop it as a duplicate of the last).
pub fn resync_frame() -> ByteString {
    signal_frame(
        RESYNC_SIGNAL,
        &serde_json::json!({"recovered": false}),
        Uuid::new_v4(),
    )
    .expect("an object serialises")
}

#[derive(Serialize)]
struct Position<'a> {
    epoch: &'a str,
    offset: u64,
}

#[derive(Serialize)]
struct PositionFrame<'a> {
    position: Option<Position<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovered: Option<bool>,
}

/// `{"position": {"epoch": E, "offset": N}}`, plus `"recovered": B` for a connection that
/// asked to recover; `{"position": null, "recovered": false}` without a position
/// (PROTOCOL.md §5.6).
pub fn position_frame(position: Option<(&str, u64)>, recovered: Option<bool>) -> ByteString {
    encode(&PositionFrame {
        position: position.map(|(epoch, offset)| Position { epoch, offset }),
        recovered,
    })
    .expect("strings and numbers serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reply_is_what_serialising_its_fields_gives() {
        #[derive(Serialize)]
        struct ReplyOk<'a> {
            reply_to: &'a Value,
            ok: bool,
            result: &'a Value,
        }
        let ids = [json!(7), json!("a\"b\u{e9}"), json!(u64::MAX), json!(-3)];
        let results = [
            json!(null),
            json!({"x": [1, 2.5, "\n"], "y": {}}),
            json!("é\u{1}"),
            json!([]),
        ];
        for id in ids {
            let crate::protocol::Inbound::Call { id: Some(call), .. } =
                crate::protocol::parse_frame(
                    &json!({"signal": "a.b", "opts": {}, "id": id}).to_string(),
                )
                .unwrap()
            else {
                panic!("not a call with an id")
            };
            for result in &results {
                let expected = serde_json::to_string(&ReplyOk {
                    reply_to: &id,
                    ok: true,
                    result,
                })
                .unwrap();
                assert_eq!(&*reply_ok(&call, result), expected);
            }
        }
    }

    #[test]
    fn replies_after_a_large_one_are_whole() {
        let crate::protocol::Inbound::Call { id: Some(call), .. } =
            crate::protocol::parse_frame(r#"{"signal": "a.b", "id": 1}"#).unwrap()
        else {
            panic!("not a call with an id")
        };
        let large = json!("x".repeat(3 * REPLY_SCRATCH_KEPT));
        for result in [json!(1), large, json!([2])] {
            let frame: Value = serde_json::from_str(&reply_ok(&call, &result)).unwrap();
            assert_eq!(frame, json!({"reply_to": 1, "ok": true, "result": result}));
        }
        REPLY_SCRATCH.with_borrow(|scratch| assert!(scratch.capacity() <= REPLY_SCRATCH_KEPT));
    }

    #[test]
    fn shapes() {
        let id = Uuid::nil();
        let frame = signal_frame("a.b", &json!({"x": 1}), id).unwrap();
        let v: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            v,
            json!({"signal": "a.b", "opts": {"x": 1}, "signal_id": id.to_string()})
        );
        let err: Value = serde_json::from_str(&error_frame(ErrorCode::BadFrame, "m")).unwrap();
        assert_eq!(err, json!({"error": {"code": "bad_frame", "message": "m"}}));
        assert_eq!(
            &*position_frame(Some(("e1", 7)), None),
            r#"{"position":{"epoch":"e1","offset":7}}"#
        );
        assert_eq!(
            &*position_frame(Some(("e1", 7)), Some(true)),
            r#"{"position":{"epoch":"e1","offset":7},"recovered":true}"#
        );
        assert_eq!(
            &*position_frame(None, Some(false)),
            r#"{"position":null,"recovered":false}"#
        );
        let resync: Value = serde_json::from_str(&resync_frame()).unwrap();
        assert_eq!(resync["opts"], json!({"recovered": false}));
    }
}
