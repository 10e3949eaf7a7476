//! The client's websocket frames, decoded straight from the request payload.
//!
//! This replaces `actix_ws::handle`, whose outbound `Session` (a 32-slot channel, allocated
//! with the connection) and connection-close signal nothing here uses: the outbound side is
//! the window's own body (`body.rs`). Decoding is actix-http's codec (masking, opcodes,
//! control-frame and size limits); reassembly and UTF-8 checks are `reassembly.rs`'s.
//!
//! No buffer is kept while idle: once every buffered byte is decoded, the buffer is
//! dropped, which also lets go of the dispatcher's read chunk it came from.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, ProtocolError};
use actix_web::dev::Payload;
use actix_web::web::BytesMut;
use futures_util::Stream;

/// The frames of one connection, each within the size limit.
pub(super) struct Frames {
    /// The upgraded connection's bytes, as actix-http hands them over.
    payload: Payload,
    /// Bytes read but not decoded yet (empty, without an allocation, while idle).
    buf: BytesMut,
    /// Client-side websocket framing: masked frames of at most the size limit.
    codec: Codec,
    /// The payload ended or failed: decode what is left, then end.
    closing: bool,
}

impl Frames {
    /// Frames of at most `max_bytes` from `payload`.
    pub(super) fn new(payload: Payload, max_bytes: usize) -> Frames {
        Frames {
            payload,
            buf: BytesMut::new(),
            codec: Codec::new().max_size(max_bytes),
            closing: false,
        }
    }
}

impl Stream for Frames {
    type Item = Result<Frame, ProtocolError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if !this.buf.is_empty() {
                if let Some(frame) = this.codec.decode(&mut this.buf)? {
                    if this.buf.is_empty() {
                        this.buf = BytesMut::new();
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
            }
            if this.closing {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    if this.buf.is_empty() {
                        // No copy when nothing is buffered.
                        this.buf = BytesMut::from(bytes);
                    } else {
                        this.buf.extend_from_slice(&bytes);
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    this.closing = true;
                    return Poll::Ready(Some(Err(ProtocolError::Io(io::Error::other(error)))));
                }
                Poll::Ready(None) => this.closing = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Runs the frame reader and the reassembly on arbitrary client bytes (the `inbound_ws`
/// fuzz target): the first byte sets the size of the chunks the rest arrives in, so frames
/// straddle reads. The bytes are all there, so the reader must never wait; it must end, or
/// stop at its first error, without panicking, and never hand over a message larger than
/// `max_bytes`.
pub(crate) fn fuzz_inbound(data: &[u8], max_bytes: usize) {
    use actix_http::BoxedPayloadStream;
    use actix_web::web::Bytes;

    use super::reassembly::{Incoming, Reassembled};

    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let chunks: Vec<Result<Bytes, actix_http::error::PayloadError>> = rest
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let stream: BoxedPayloadStream = Box::pin(futures_util::stream::iter(chunks));
    let mut messages = Reassembled::new(Frames::new(Payload::from(stream), max_bytes), max_bytes);
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
