//! The window's response body: frames from its outbox, encoded straight into the bytes of
//! the websocket response, with no task or channel in between.
//!
//! The HTTP dispatcher polls this stream whenever the socket can take more. Each poll
//! drains every frame already queued (up to [`CHUNK_BYTES`]) into one buffer, so a burst of
//! deliveries leaves in one write. Control frames (pings, pongs) go first; a close request
//! ends the stream with a close frame. A client that stops reading stops the polls, its
//! outbox fills, and the window is closed with 1013 (PROTOCOL.md §5).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_codec::Encoder;
use actix_http::ws::{CloseCode, CloseReason, Codec, Message};
use actix_web::web::{Bytes, BytesMut};
use futures_util::task::AtomicWaker;
use futures_util::Stream;
use parking_lot::Mutex;

use super::outbox::{OutboxReceiver, Outgoing};
use super::socket::{Socket, SocketFd};
use crate::protocol::Disconnect;

/// Bytes gathered per poll before handing them to the dispatcher (it asks again at once).
const CHUNK_BYTES: usize = 64 * 1024;

/// Pings and pongs the window asks the body to send. At most one of each waits: a newer
/// pong replaces an older one (RFC 6455 §5.5.3 allows answering only the latest ping). A few
/// dozen bytes per window, where a channel would allocate a block of slots. Also the
/// connection's socket, to reset when its close frame cannot be written.
#[derive(Debug, Default)]
pub(super) struct Control {
    /// The connection's socket while the body lives.
    socket: Socket,
    /// A server ping is due.
    ping: AtomicBool,
    /// The payload of the latest client ping, to answer.
    pong: Mutex<Option<Bytes>>,
    /// Wakes the body when either is set.
    waker: AtomicWaker,
}

impl Control {
    /// The control of a connection whose socket is `fd` (if known).
    pub(super) fn new(fd: Option<SocketFd>) -> Control {
        Control {
            socket: Socket::new(fd),
            ..Control::default()
        }
    }

    /// Resets the connection if its body still lives (its close frame was not written);
    /// returns whether it did.
    pub(super) fn reset_socket(&self) -> bool {
        self.socket.reset()
    }

    /// Asks for a server ping.
    pub(super) fn ping(&self) {
        self.ping.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Asks for a pong answering a client ping with `payload`.
    pub(super) fn pong(&self, payload: Bytes) {
        *self.pong.lock() = Some(payload);
        self.waker.wake();
    }

    /// Takes what is due, and registers the body to be woken for what comes next.
    fn take(&self, cx: &Context<'_>) -> (bool, Option<Bytes>) {
        self.waker.register(cx.waker());
        (
            self.ping.swap(false, Ordering::AcqRel),
            self.pong.lock().take(),
        )
    }
}

/// Where the stream stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Writing frames as they come.
    Open,
    /// A close was requested: write what is still queued, then the close frame.
    Draining(Disconnect),
    /// The close frame is written.
    Done,
}

/// The websocket response body of one window.
pub(super) struct WindowBody {
    /// The window's queue of text frames and close requests.
    outgoing: OutboxReceiver,
    /// Pings and pongs from the window actor.
    control: Arc<Control>,
    /// Server-side websocket framing (no masking).
    codec: Codec,
    /// Where the stream stands.
    state: State,
}

impl WindowBody {
    pub(super) fn new(outgoing: OutboxReceiver, control: Arc<Control>) -> WindowBody {
        WindowBody {
            outgoing,
            control,
            codec: Codec::new(),
            state: State::Open,
        }
    }

    fn encode(&mut self, message: Message, buf: &mut BytesMut) {
        // Encoding into a BytesMut cannot fail for frames this server builds.
        let _ = self.codec.encode(message, buf);
    }

    fn close_frame(&mut self, reason: Disconnect, buf: &mut BytesMut) {
        let reason = CloseReason {
            code: CloseCode::from(reason.code()),
            description: Some(reason.reason().to_owned()),
        };
        self.encode(Message::Close(Some(reason)), buf);
        self.state = State::Done;
    }
}

impl Drop for WindowBody {
    fn drop(&mut self) {
        // actix-http closes the socket right after dropping the body.
        self.control.socket.forget();
    }
}

impl Stream for WindowBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.state == State::Done {
            return Poll::Ready(None);
        }
        let mut buf = BytesMut::new();
        let (ping, pong) = this.control.take(cx);
        if let Some(payload) = pong {
            this.encode(Message::Pong(payload), &mut buf);
        }
        if ping {
            this.encode(Message::Ping(Bytes::new()), &mut buf);
        }
        while buf.len() < CHUNK_BYTES {
            match this.state {
                State::Open => match this.outgoing.poll_next(cx) {
                    Poll::Ready(Outgoing::Frame(text)) => {
                        this.encode(Message::Text(text), &mut buf)
                    }
                    // Too slow: the queue is full of frames the client would not read in
                    // time; close at once.
                    Poll::Ready(Outgoing::Close(Disconnect::TooSlow)) => {
                        this.close_frame(Disconnect::TooSlow, &mut buf)
                    }
                    Poll::Ready(Outgoing::Close(reason)) => this.state = State::Draining(reason),
                    Poll::Ready(Outgoing::Finished) => {
                        this.state = State::Draining(Disconnect::Normal)
                    }
                    Poll::Pending => break,
                },
                State::Draining(reason) => match this.outgoing.try_frame() {
                    Some(text) => this.encode(Message::Text(text), &mut buf),
                    None => this.close_frame(reason, &mut buf),
                },
                State::Done => break,
            }
        }
        if !buf.is_empty() {
            Poll::Ready(Some(Ok(buf.freeze())))
        } else if this.state == State::Done {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}
