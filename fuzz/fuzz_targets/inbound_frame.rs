//! Fuzz target `inbound_frame`: `switchboard::__private::parse_frame` on any text a browser
//! could send (PROTOCOL.md §4).
//!
//! Proves that no text frame panics the parser, and that every frame it accepts obeys the
//! contract: the heartbeat is exactly `--heartbeat--`, a call's `signal` is a valid signal
//! name, its `id` is a string of 1 to 64 characters or an integer, and a call written back
//! as JSON parses to the same call.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use switchboard::__private::{is_valid_signal_name, parse_frame, Inbound};

fuzz_target!(|data: &[u8]| {
    // A websocket text frame is UTF-8 by definition; binary frames never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(frame) = parse_frame(text) else {
        return;
    };
    match frame {
        Inbound::Heartbeat => assert_eq!(text, "--heartbeat--"),
        Inbound::Call { signal, opts, id } => {
            assert!(is_valid_signal_name(&signal), "accepted signal {signal:?}");
            let id = id.map(|id| id.as_json().clone());
            match &id {
                None => {}
                Some(Value::String(s)) => assert!((1..=64).contains(&s.chars().count())),
                Some(Value::Number(n)) => assert!(n.is_i64() || n.is_u64(), "id {n}"),
                Some(other) => panic!("accepted id {other}"),
            }
            let mut again = json!({"signal": signal, "opts": opts});
            if let Some(id) = &id {
                again["id"] = id.clone();
            }
            match parse_frame(&again.to_string()) {
                Ok(Inbound::Call {
                    signal: signal2,
                    id: id2,
                    ..
                }) => {
                    assert_eq!(signal2, signal);
                    assert_eq!(id2.map(|i| i.as_json().clone()), id);
                }
                other => panic!("{again} does not parse back: {other:?}"),
            }
        }
    }
});
