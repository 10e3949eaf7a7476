//! The client's websocket frames, read from the connection's socket.
//!
//! Decoding is actix-http's codec (masking, opcodes, control-frame and size limits);
//! reassembly and UTF-8 checks are `reassembly.rs`'s.
//!
//! No buffer is kept while idle. The socket is read only when it is readable, into one
//! scratch buffer per worker thread ([`SCRATCH_BYTES`]); what was read is copied out, at its
//! own size, only to be decoded, and the copy is dropped once every byte of it is decoded.
//! An idle connection therefore holds no read buffer at all; a frame that arrived in part
//! keeps just its bytes until the rest comes.
//!
//! A read that is exactly one whole, final, masked text frame (a call, as clients send
//! them one at a time) skips the copy and the codec: its payload is unmasked straight from
//! the scratch buffer into bytes of its own size ([`lone_text_frame`]). Everything else
//! (control frames, fragments, several frames or part of one in a read) goes through the
//! codec, which the fast path agrees with byte for byte (its tests and the `inbound_ws`
//! fuzz target compare them).

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, Item, ProtocolError};
use actix_web::web::{Bytes, BytesMut};
use futures_util::Stream;
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Size of the per-thread scratch buffer a readable socket is read into: one read takes at
/// most this much, and the socket is read again at once while more is there.
const SCRATCH_BYTES: usize = 64 * 1024;

thread_local! {
    /// The worker thread's scratch buffer, shared by every connection it serves (allocated at
    /// the first read).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Where a connection's bytes come from.
pub(super) trait Source {
    /// Reads what is there into `buf`: `Ok(0)` at the end of the stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// A websocket's socket, shared with the connection's writer.
pub(super) struct SocketSource(pub(super) Rc<TcpStream>);

impl Source for SocketSource {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            let mut short = 0;
            let result = self.0.try_io(Interest::READABLE, || {
                let read = self.0.try_read(buf)?;
                if read > 0 && read < buf.len() {
                    // Less than asked for: the socket is drained. Answering `WouldBlock`
                    // here clears its readiness (as tokio's own `poll_read` does on a short
                    // read), so the next poll waits for new bytes instead of making a
                    // system call that finds none: one `recv` per client frame, not two.
                    // Bytes that come after the read set the readiness again.
                    short = read;
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(read)
            });
            match result {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock && short > 0 => {
                    return Poll::Ready(Ok(short))
                }
                // The readiness is cleared; poll it again.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }
}

/// The frames of one connection, each within the size limit.
pub(super) struct Frames<S> {
    /// The connection's bytes.
    source: S,
    /// Bytes read but not decoded yet (empty, without an allocation, while idle).
    buf: BytesMut,
    /// Client-side websocket framing: masked frames of at most the size limit.
    codec: Codec,
    /// The size limit, for the fast path.
    max_bytes: usize,
    /// The stream ended or failed: decode what is left, then end.
    closing: bool,
    /// The codec is inside a fragmented message (its first frame came, its last not yet),
    /// where a whole text frame is a protocol error: the fast path stays out of it.
    fragmented: bool,
}

/// What one read brought.
enum Filled {
    /// Bytes, now in `buf`; `false` at the end of the stream.
    Bytes(bool),
    /// One whole text frame, taken by the fast path ([`lone_text_frame`]).
    Text(Bytes),
}

impl<S: Source> Frames<S> {
    /// Frames of at most `max_bytes` from `source`, after the bytes already read from it
    /// (`read`: those that came with the handshake request).
    pub(super) fn new(source: S, read: &[u8], max_bytes: usize) -> Frames<S> {
        Frames {
            source,
            buf: BytesMut::from(read),
            codec: Codec::new().max_size(max_bytes),
            closing: false,
            fragmented: false,
            max_bytes,
        }
    }

    /// Reads what the source has into `buf`, through the thread's scratch buffer, unless it
    /// is one lone text frame, handed back whole.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Filled>> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            if scratch.is_empty() {
                scratch.resize(SCRATCH_BYTES, 0);
            }
            let read = ready!(self.source.poll_read(cx, &mut scratch))?;
            if self.buf.is_empty() && !self.fragmented {
                if let Some(text) = lone_text_frame(&scratch[..read], self.max_bytes) {
                    return Poll::Ready(Ok(Filled::Text(text)));
                }
            }
            // Most other reads hold whole frames and find nothing buffered: one allocation
            // of their size, none of the growth path's.
            if self.buf.is_empty() {
                self.buf = BytesMut::from(&scratch[..read]);
            } else {
                self.buf.extend_from_slice(&scratch[..read]);
            }
            Poll::Ready(Ok(Filled::Bytes(read > 0)))
        })
    }
}

impl<S: Source + Unpin> Stream for Frames<S> {
    type Item = Result<Frame, ProtocolError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if !this.buf.is_empty() {
                if let Some(frame) = this.codec.decode(&mut this.buf)? {
                    if this.buf.is_empty() {
                        // Lets go of the bytes, shared with the frame's payload until then.
                        this.buf = BytesMut::new();
                    }
                    match &frame {
                        Frame::Continuation(Item::FirstText(_) | Item::FirstBinary(_)) => {
                            this.fragmented = true;
                        }
                        Frame::Continuation(Item::Last(_)) => this.fragmented = false,
                        _ => {}
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
            }
            if this.closing {
                return Poll::Ready(None);
            }
            match ready!(this.poll_fill(cx)) {
                Ok(Filled::Text(text)) => return Poll::Ready(Some(Ok(Frame::Text(text)))),
                Ok(Filled::Bytes(true)) => {}
                Ok(Filled::Bytes(false)) => this.closing = true,
                Err(error) => {
                    this.closing = true;
                    return Poll::Ready(Some(Err(ProtocolError::Io(error))));
                }
            }
        }
    }
}

/// The first byte of a final text frame without extensions: FIN, no reserved bits, opcode
/// 1 (RFC 6455 §5.2).
const FINAL_TEXT: u8 = 0x81;

/// The payload of `read` when it is exactly one whole, final, masked text frame of at most
/// `max_bytes` with a 7- or 16-bit length, unmasked into bytes of its own size (one
/// allocation); `None` for anything else, which the codec then decodes (or refuses) as
/// before. What this accepts, the codec decodes to the same text frame.
fn lone_text_frame(read: &[u8], max_bytes: usize) -> Option<Bytes> {
    let [FINAL_TEXT, second, rest @ ..] = read else {
        return None;
    };
    if second & 0x80 == 0 {
        // Unmasked: the codec's error.
        return None;
    }
    let (len, rest) = match second & 0x7f {
        126 => match rest {
            [high, low, rest @ ..] => (usize::from(u16::from_be_bytes([*high, *low])), rest),
            _ => return None,
        },
        127 => return None,
        len => (usize::from(len), rest),
    };
    let [m0, m1, m2, m3, payload @ ..] = rest else {
        return None;
    };
    if payload.len() != len || len > max_bytes {
        return None;
    }
    let mask = [*m0, *m1, *m2, *m3];
    let mut text = payload.to_vec();
    let key = u32::from_ne_bytes(mask);
    let mut words = text.chunks_exact_mut(4);
    for word in &mut words {
        let unmasked = u32::from_ne_bytes([word[0], word[1], word[2], word[3]]) ^ key;
        word.copy_from_slice(&unmasked.to_ne_bytes());
    }
    // The tail starts at a multiple of four: its bytes take the key from its start.
    for (byte, key) in words.into_remainder().iter_mut().zip(mask) {
        *byte ^= key;
    }
    // Length and capacity are equal: the bytes take the vector as it is.
    Some(Bytes::from(text))
}

/// Client bytes already there, in chunks (the fuzz target's source).
struct Chunks(std::collections::VecDeque<Vec<u8>>);

impl Source for Chunks {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let Some(chunk) = self.0.pop_front() else {
            return Poll::Ready(Ok(0));
        };
        buf[..chunk.len()].copy_from_slice(&chunk);
        Poll::Ready(Ok(chunk.len()))
    }
}

/// Runs the frame reader and the reassembly on arbitrary client bytes (the `inbound_ws`
/// fuzz target): the first byte sets the size of the chunks the rest arrives in, so frames
/// straddle reads. The bytes are all there, so the reader must never wait; it must end, or
/// stop at its first error, without panicking, and never hand over a message larger than
/// `max_bytes`.
pub(crate) fn fuzz_inbound(data: &[u8], max_bytes: usize) {
    use super::reassembly::{Incoming, Reassembled};

    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    assert_agrees_with_codec(rest, max_bytes);
    let chunk = usize::from(first % 64) + 1;
    let chunks = Chunks(rest.chunks(chunk).map(<[u8]>::to_vec).collect());
    let mut messages = Reassembled::new(Frames::new(chunks, &[], max_bytes), max_bytes);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        match Pin::new(&mut messages).poll_next(&mut cx) {
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => return,
            Poll::Ready(Some(Ok(Incoming::Text(text)))) => assert!(text.len() <= max_bytes),
            Poll::Ready(Some(Ok(Incoming::Ping(payload)))) => assert!(payload.len() <= 125),
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Pending => panic!("the reader waits although every byte is there"),
        }
    }
}

/// Panics unless the codec decodes what [`lone_text_frame`] accepts from `read` to the same
/// text frame, consuming all of it.
fn assert_agrees_with_codec(read: &[u8], max_bytes: usize) {
    let Some(text) = lone_text_frame(read, max_bytes) else {
        return;
    };
    let mut buf = BytesMut::from(read);
    match Codec::new().max_size(max_bytes).decode(&mut buf) {
        Ok(Some(Frame::Text(decoded))) => {
            assert_eq!(decoded, text, "the fast path unmasked otherwise");
            assert!(buf.is_empty(), "the codec left bytes the fast path took");
        }
        other => panic!("the fast path took a frame the codec decodes as {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A client frame: `first` byte, masked or not, the length in the 7-, 16- or 64-bit
    /// form (`form` 0, 1, 2) stating `stated` bytes, then the masked payload and `extra`.
    fn frame(
        first: u8,
        masked: bool,
        form: u8,
        stated: usize,
        payload: &[u8],
        extra: &[u8],
    ) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![first];
        let bit = if masked { 0x80 } else { 0 };
        match form {
            0 => out.push(bit | stated as u8),
            1 => {
                out.push(bit | 126);
                out.extend_from_slice(&(stated as u16).to_be_bytes());
            }
            _ => {
                out.push(bit | 127);
                out.extend_from_slice(&(stated as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&mask);
        }
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out.extend_from_slice(extra);
        out
    }

    #[test]
    fn a_lone_text_frame_is_its_unmasked_payload() {
        for len in [0, 1, 3, 4, 5, 125, 126, 127, 1000, 65535] {
            let payload: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let form = if len < 126 { 0 } else { 1 };
            let read = frame(FINAL_TEXT, true, form, len, &payload, &[]);
            let text = lone_text_frame(&read, 65535).expect("a lone text frame");
            assert_eq!(&text[..], &payload[..], "{len} bytes");
            assert_agrees_with_codec(&read, 65535);
        }
    }

    #[test]
    fn anything_else_is_left_to_the_codec() {
        let payload = b"{\"signal\":\"a.b\"}";
        let len = payload.len();
        let cases = [
            ("not final", frame(0x01, true, 0, len, payload, &[])),
            ("reserved bit", frame(0xc1, true, 0, len, payload, &[])),
            ("binary", frame(0x82, true, 0, len, payload, &[])),
            ("ping", frame(0x89, true, 0, len, payload, &[])),
            ("unmasked", frame(FINAL_TEXT, false, 0, len, payload, &[])),
            (
                "64-bit length",
                frame(FINAL_TEXT, true, 2, len, payload, &[]),
            ),
            (
                "a byte short",
                frame(FINAL_TEXT, true, 0, len + 1, payload, &[]),
            ),
            (
                "another frame behind",
                frame(FINAL_TEXT, true, 0, len, payload, &[0x81]),
            ),
            (
                "over the limit",
                frame(FINAL_TEXT, true, 0, len, payload, &[]),
            ),
        ];
        for (what, read) in cases {
            let limit = if what == "over the limit" {
                len - 1
            } else {
                1024
            };
            assert!(lone_text_frame(&read, limit).is_none(), "{what}");
        }
        assert!(
            lone_text_frame(&[FINAL_TEXT, 0xfe, 0], 1024).is_none(),
            "cut in its length"
        );
    }

    #[test]
    fn a_whole_text_frame_inside_a_fragmented_message_is_the_codec_error() {
        // A first text fragment, then a whole final text frame in a read of its own: the
        // codec refuses it (a new message inside an unfinished one), and so must the reader.
        let first = frame(0x01, true, 0, 2, b"ab", &[]);
        let whole = frame(FINAL_TEXT, true, 0, 2, b"cd", &[]);
        let chunks = Chunks([first, whole].into_iter().collect());
        let mut frames = Frames::new(chunks, &[], 1024);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut next = || Pin::new(&mut frames).poll_next(&mut cx);
        assert!(matches!(
            next(),
            Poll::Ready(Some(Ok(Frame::Continuation(Item::FirstText(_)))))
        ));
        assert!(matches!(
            next(),
            Poll::Ready(Some(Err(ProtocolError::ContinuationStarted)))
        ));
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_codec(
            first in prop_oneof![Just(FINAL_TEXT), any::<u8>()],
            masked in prop::bool::weighted(0.9),
            form in 0u8..3,
            payload in prop::collection::vec(any::<u8>(), 0..300),
            delta in -1i64..=1,
            extra in prop::collection::vec(any::<u8>(), 0..3),
            limit in prop_oneof![Just(1024usize), 0usize..300],
        ) {
            let stated = (payload.len() as i64 + delta).max(0) as usize;
            let form = if stated > 125 && form == 0 { 1 } else { form };
            let read = frame(first, masked, form, stated, &payload, &extra);
            assert_agrees_with_codec(&read, limit);
            // Exactly one frame: what follows the header is as long as stated (the extra
            // bytes may make up for a payload a byte short).
            let header = [2, 4, 10][usize::from(form)] + if masked { 4 } else { 0 };
            let expected = first == FINAL_TEXT && masked && form < 2
                && read.len() == header + stated && stated <= limit;
            prop_assert_eq!(lone_text_frame(&read, limit).is_some(), expected);
        }
    }
}
