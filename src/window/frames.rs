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

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, ProtocolError};
use actix_web::web::BytesMut;
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
    /// The stream ended or failed: decode what is left, then end.
    closing: bool,
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
        }
    }

    /// Reads what the source has into `buf`, through the thread's scratch buffer; `false`
    /// at the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            if scratch.is_empty() {
                scratch.resize(SCRATCH_BYTES, 0);
            }
            let read = ready!(self.source.poll_read(cx, &mut scratch))?;
            // Most reads hold whole frames and find nothing buffered: one allocation of
            // their size, none of the growth path's.
            if self.buf.is_empty() {
                self.buf = BytesMut::from(&scratch[..read]);
            } else {
                self.buf.extend_from_slice(&scratch[..read]);
            }
            Poll::Ready(Ok(read > 0))
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
                    return Poll::Ready(Some(Ok(frame)));
                }
            }
            if this.closing {
                return Poll::Ready(None);
            }
            match ready!(this.poll_fill(cx)) {
                Ok(true) => {}
                Ok(false) => this.closing = true,
                Err(error) => {
                    this.closing = true;
                    return Poll::Ready(Some(Err(ProtocolError::Io(error))));
                }
            }
        }
    }
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
