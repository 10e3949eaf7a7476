//! The connection's writer: frames from the window's outbox, written straight to its socket.
//!
//! One future per connection, with no task or channel in between: it writes the handshake
//! answer, then, whenever the socket takes bytes, everything the outbox holds. A lone text
//! frame (the usual delivery) of up to [`SMALL_FRAME`] bytes is copied with its header into
//! the thread's frame buffer and sent with one `send`; a longer one leaves in one vectored
//! write of its header and the frame's shared bytes, with no copy; a burst is encoded into
//! one buffer (up to [`CHUNK_BYTES`]) and leaves in one write. Control frames (pings, pongs)
//! go first; a close request ends with a close frame. A client that stops reading stops the
//! writes, its outbox fills, and the window is closed with 1013 (PROTOCOL.md §5).
//!
//! After its close frame the writer ends the sending side of the socket and waits, at most
//! [`LINGER`], for the client to close its side, discarding what still arrives: closing
//! before would reset a connection whose close frame the client has not read yet, and
//! clients that wait for the server to close first (RFC 6455 §7.1.1) are let go at once.

use std::future::Future;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use actix_codec::Encoder;
use actix_http::ws::{CloseCode, CloseReason, Codec, Message};
use actix_web::web::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::outbox::{OutboxReceiver, Outgoing};
use super::socket::reset_on_close;
use crate::limit::ConnectionGuard;
use crate::protocol::Disconnect;

/// Bytes gathered into one write when frames queued up.
const CHUNK_BYTES: usize = 64 * 1024;

/// Turns of its thread's scheduler the writer lets pass, at most, before it writes what it
/// was woken for: one always, more only while frames keep arriving ([`Writer::poll`]).
const GATHER_TURNS: u8 = 4;

/// Frames waiting beyond which the writer stops gathering: they fill a write already.
const GATHER_FRAMES: usize = 64;

/// Frames up to this size (header included) are copied into one buffer and written with
/// one `send`; longer ones are written from their shared bytes with `writev`. The kernel's
/// `writev` path costs more than copying a small frame: replies to calls went from `writev`
/// (about 4% of the server's time in a profile of calls, `vfs_writev` alone 2.4%) to `send`.
const SMALL_FRAME: usize = 1024;

thread_local! {
    /// Where a small frame is put together for its `send`: a buffer of the thread's, reused,
    /// not a fresh one on the stack that would be zeroed for every frame.
    static SMALL_FRAME_BUFFER: std::cell::RefCell<Vec<u8>> =
        std::cell::RefCell::new(Vec::with_capacity(SMALL_FRAME));
}

/// Reads of 1 KiB the lingering writer discards in one turn of its task.
const LINGER_READS_PER_TURN: usize = 16;

/// How long the writer waits, after its close frame, for the client to close its side.
pub(super) const LINGER: Duration = Duration::from_secs(1);

/// Where the writer stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Writing frames as they come.
    Open,
    /// A close was requested: write what is still queued, then the close frame.
    Draining(Disconnect),
    /// The close frame is taken: write it, then linger.
    Closed,
}

/// Bytes taken from the outbox and not written yet.
enum Unwritten {
    /// Nothing: take more.
    Nothing,
    /// Encoded frames (or the handshake answer).
    Chunk(Bytes),
    /// One text frame: its header, then its shared bytes.
    Frame {
        /// The header, in `head[start..end]` (what is left of it).
        head: [u8; 10],
        /// Where the unwritten part of the header starts.
        start: u8,
        /// Where the header ends.
        end: u8,
        /// The frame's bytes (what is left of them).
        payload: Bytes,
    },
}

impl Unwritten {
    /// A text frame, unmasked, in one fragment (RFC 6455 §5.2).
    fn frame(text: ByteString) -> Unwritten {
        let payload = text.into_bytes();
        let len = payload.len();
        let mut head = [0u8; 10];
        head[0] = 0x81; // FIN, text
        let end = if len < 126 {
            head[1] = len as u8;
            2
        } else if let Ok(len) = u16::try_from(len) {
            head[1] = 126;
            head[2..4].copy_from_slice(&len.to_be_bytes());
            4
        } else {
            head[1] = 127;
            head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        Unwritten::Frame {
            head,
            start: 0,
            end,
            payload,
        }
    }

    /// Writes some of it; `Ok(true)` once all of it is written.
    fn write(&mut self, socket: &TcpStream) -> io::Result<bool> {
        let written = match self {
            Unwritten::Nothing => return Ok(true),
            Unwritten::Chunk(bytes) => socket.try_write(bytes)?,
            Unwritten::Frame {
                head,
                start,
                end,
                payload,
            } => {
                let head = &head[usize::from(*start)..usize::from(*end)];
                let len = head.len() + payload.len();
                if len <= SMALL_FRAME {
                    // One `send` of a copy: cheaper than `writev` of two slices.
                    SMALL_FRAME_BUFFER.with_borrow_mut(|frame| {
                        frame.clear();
                        frame.extend_from_slice(head);
                        frame.extend_from_slice(payload);
                        socket.try_write(frame)
                    })?
                } else {
                    socket.try_write_vectored(&[IoSlice::new(head), IoSlice::new(payload)])?
                }
            }
        };
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let done = match self {
            Unwritten::Nothing => true,
            Unwritten::Chunk(bytes) => {
                bytes.advance(written);
                bytes.is_empty()
            }
            Unwritten::Frame {
                start,
                end,
                payload,
                ..
            } => {
                let from_head = written.min(usize::from(*end - *start));
                *start += from_head as u8;
                payload.advance(written - from_head);
                *start == *end && payload.is_empty()
            }
        };
        if done {
            *self = Unwritten::Nothing;
        }
        Ok(done)
    }
}

/// The writing side of one connection; resolves when the connection is over.
pub(super) struct Writer {
    /// The socket, shared with the window's frame reader.
    socket: Rc<TcpStream>,
    /// The window's queue of text frames, pings, pongs and close requests.
    outgoing: OutboxReceiver,
    /// Server-side websocket framing (no masking), for bursts and control frames.
    codec: Codec,
    /// Where the writer stands.
    state: State,
    /// What was taken and not written yet.
    unwritten: Unwritten,
    /// Set once the close frame is written: the end of the wait for the client's side.
    linger: Option<Pin<Box<Sleep>>>,
    /// Turns of its thread's scheduler the writer let pass before taking what its outbox
    /// holds ([`Writer::poll`]).
    gathered: u8,
    /// The frames its outbox held at the last of those turns: more since then means a
    /// fan-out is still arriving, and another turn makes the write carry it.
    gather_seen: u16,
    /// Set once the writer resolved: a writer polled again (by its task after a rescue
    /// finished it) stays resolved.
    finished: bool,
    /// The connection's place in the node's, the address's and the user's counts: held
    /// until the socket is done with (a stopping node waits for these).
    _admission: ConnectionGuard,
}

impl Writer {
    /// The writer of `socket`, which writes `handshake` first.
    pub(super) fn new(
        socket: Rc<TcpStream>,
        handshake: Bytes,
        outgoing: OutboxReceiver,
        admission: ConnectionGuard,
    ) -> Writer {
        Writer {
            socket,
            outgoing,
            codec: Codec::new(),
            state: State::Open,
            unwritten: Unwritten::Chunk(handshake),
            linger: None,
            gathered: 0,
            gather_seen: 0,
            finished: false,
            _admission: admission,
        }
    }

    /// Makes the next poll write what is queued without first letting the thread's other
    /// tasks run ([`Writer::poll`]): for frames the connection's own task just queued.
    pub(super) fn write_now(&mut self) {
        self.gathered = GATHER_TURNS;
    }

    /// Writes what the outbox holds now, for a connection whose task waits for its turn
    /// ([`super::rescue`]), registering `cx` (the task's waker) as the task would: what that
    /// poll returned. `None`, nothing done, once the writer is closing: the task finishes
    /// that itself.
    pub(super) fn rescue(&mut self, cx: &mut Context<'_>) -> Option<Poll<()>> {
        if self.finished || self.state != State::Open || self.linger.is_some() {
            return None;
        }
        self.write_now();
        Some(Pin::new(self).poll(cx))
    }

    /// Makes the end of the connection a reset (its client takes no bytes): what was not
    /// sent is discarded when the writer and the reader are dropped.
    pub(super) fn reset(&self) {
        reset_on_close(&self.socket);
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
        self.state = State::Closed;
    }

    /// The next thing to write, from the outbox's control slots and frames; `Pending` when
    /// there is nothing (the writer is woken by the next frame, ping, pong or close).
    fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Unwritten> {
        let (ping, pong) = self.outgoing.take_control(cx);
        let mut buf = BytesMut::new();
        if let Some(payload) = pong {
            self.encode(Message::Pong(payload), &mut buf);
        }
        if ping {
            self.encode(Message::Ping(Bytes::new()), &mut buf);
        }
        while buf.len() < CHUNK_BYTES {
            let text = match self.state {
                // `take_control` registered the waker above, in this poll.
                State::Open => match self.outgoing.next_registered() {
                    Poll::Ready(Outgoing::Frame(text)) => text,
                    // Too slow: the queue is full of frames the client would not read in
                    // time; close at once.
                    Poll::Ready(Outgoing::Close(Disconnect::TooSlow)) => {
                        self.close_frame(Disconnect::TooSlow, &mut buf);
                        break;
                    }
                    Poll::Ready(Outgoing::Close(reason)) => {
                        self.state = State::Draining(reason);
                        continue;
                    }
                    Poll::Ready(Outgoing::Finished) => {
                        self.state = State::Draining(Disconnect::Normal);
                        continue;
                    }
                    Poll::Pending => break,
                },
                State::Draining(reason) => match self.outgoing.try_frame() {
                    Some(text) => text,
                    None => {
                        self.close_frame(reason, &mut buf);
                        break;
                    }
                },
                State::Closed => break,
            };
            if buf.is_empty() && self.state == State::Open {
                match self.outgoing.try_frame() {
                    // A lone frame: written from its own bytes.
                    None => return Poll::Ready(Unwritten::frame(text)),
                    Some(next) => {
                        self.encode(Message::Text(text), &mut buf);
                        self.encode(Message::Text(next), &mut buf);
                        continue;
                    }
                }
            }
            self.encode(Message::Text(text), &mut buf);
        }
        if buf.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(Unwritten::Chunk(buf.freeze()))
        }
    }

    /// Writes what was taken; `Ready(Err)` when the socket failed.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.unwritten.write(&self.socket) {
                Ok(true) => return Poll::Ready(Ok(())),
                Ok(false) => {}
                // `try_write` cleared the readiness: wait for the socket to take more.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.socket.poll_write_ready(cx))?;
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    /// Discards what the client still sends until it closes its side, or the linger ends.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut discard = [0u8; 1024];
        for read in 0.. {
            if read == LINGER_READS_PER_TURN {
                // A client that keeps sending does not keep the thread: come back later,
                // and let the linger's deadline count meanwhile.
                cx.waker().wake_by_ref();
                break;
            }
            match self.socket.try_read(&mut discard) {
                Ok(0) => return Poll::Ready(()),
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    match self.socket.poll_read_ready(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(_)) => return Poll::Ready(()),
                        Poll::Pending => break,
                    }
                }
                Err(_) => return Poll::Ready(()),
            }
        }
        match &mut self.linger {
            Some(linger) => linger.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Future for Writer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(());
        }
        let poll = this.poll_writing(cx);
        this.finished = poll.is_ready();
        poll
    }
}

impl Writer {
    /// [`Writer::poll`] until resolved.
    fn poll_writing(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.linger.is_some() {
                return self.poll_linger(cx);
            }
            if ready!(self.poll_write(cx)).is_err() {
                // The client is gone; nothing more can be written.
                return Poll::Ready(());
            }
            if self.state == State::Closed {
                // The close frame is written: end our side, then wait for the client's.
                // SAFETY: the descriptor is the open socket this writer holds; shutdown
                // touches no memory of ours.
                unsafe { libc::shutdown(self.socket.as_raw_fd(), libc::SHUT_WR) };
                self.linger = Some(Box::pin(tokio::time::sleep(LINGER)));
                continue;
            }
            // (Once the turns are used up, or `write_now` asked, there is nothing to decide.)
            let backlog = (self.gathered < GATHER_TURNS)
                .then(|| self.outgoing.backlog())
                .flatten();
            if let Some(frames) = backlog {
                // Something to write: first let the thread's other tasks run once. During a
                // fan-out the publisher keeps queuing meanwhile, so the write that follows
                // carries every frame that arrived, not just the first: fewer system calls
                // and TCP segments per delivery. While frames keep arriving, a few more
                // turns (bounded, and not beyond a write's worth): a lone frame waits one
                // turn of the scheduler, as before.
                let frames = u16::try_from(frames).unwrap_or(u16::MAX);
                let arriving = frames > self.gather_seen && usize::from(frames) < GATHER_FRAMES;
                if self.gathered == 0 || (arriving && self.gathered < GATHER_TURNS) {
                    self.gathered += 1;
                    self.gather_seen = frames;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            self.gathered = 0;
            self.gather_seen = 0;
            self.unwritten = ready!(self.poll_take(cx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A text frame as RFC 6455 §5.2 lays it out, unmasked, written independently of
    /// [`Unwritten::frame`].
    fn encoded(payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0x81];
        match payload.len() {
            len @ 0..=125 => frame.push(len as u8),
            len @ 126..=65535 => {
                frame.push(126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(payload);
        frame
    }

    /// Frames on both sides of every boundary (the header's sizes, the copied small frame),
    /// written while the reader waits, so the socket fills up and writes end mid-frame: the
    /// bytes read are the frames, whole and in order.
    #[tokio::test]
    async fn frames_small_and_large_arrive_whole_when_writes_end_midway() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (mut client, (server, _)) = (client.unwrap(), accepted.unwrap());
        let sizes = [
            0,
            1,
            125,
            126,
            SMALL_FRAME - 5,
            SMALL_FRAME - 4,
            SMALL_FRAME - 3,
            4000,
            65535,
            65536,
            70_000,
        ];
        let frames: Vec<Vec<u8>> = (0..200)
            .flat_map(|round| {
                sizes.map(|size| (0..size).map(|i| b'a' + ((i + round) % 26) as u8).collect())
            })
            .collect();
        let expected: Vec<u8> = frames.iter().flat_map(|f| encoded(f)).collect();
        let reader = tokio::spawn(async move {
            // Let the socket fill up first.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut read = Vec::new();
            client.read_to_end(&mut read).await.unwrap();
            read
        });
        let mut partial = 0;
        for frame in frames {
            let text = ByteString::try_from(frame).unwrap();
            let mut unwritten = Unwritten::frame(text);
            loop {
                match unwritten.write(&server) {
                    Ok(true) => break,
                    Ok(false) => partial += 1,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        server.writable().await.unwrap()
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
        drop(server);
        let read = reader.await.unwrap();
        assert!(
            partial > 0,
            "no write ended mid-frame: the test proves nothing"
        );
        assert_eq!(read.len(), expected.len());
        assert!(
            read == expected,
            "the bytes read are not the frames written"
        );
    }
}
