//! Fuzz target `inbound_ws`: the websocket frame reader and reassembly of a window
//! (`src/window/frames.rs`, `src/window/reassembly.rs`) on any bytes a client could send.
//!
//! The first byte sets the size of the reads the rest arrives in, so frames straddle reads.
//! Proves that no input panics the reader or makes it wait with every byte available, and
//! that no message it hands over exceeds the size limit (a ping at most 125 bytes).

#![no_main]

use libfuzzer_sys::fuzz_target;

/// A small limit, so that fragments and oversized messages are within the fuzzer's reach.
const MAX_BYTES: usize = 256;

fuzz_target!(|data: &[u8]| {
    switchboard::__private::fuzz_inbound_ws(data, MAX_BYTES);
});
