//! Fuzz target `api_body`: every HTTP API body decoder on arbitrary bytes (PROTOCOL.md §6).
//!
//! Proves that no request body panics the decoding of `POST /api/v1/windows`,
//! `POST /api/v1/windows/{key}/topics` or `POST /api/v1/trigger`, nor the topic checks and the
//! decoding of each `to` destination that follow, and that every rejection is a 400
//! `bad_request` (see `switchboard::__private::fuzz_api_body`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard::__private::fuzz_api_body(data);
});
