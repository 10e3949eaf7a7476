//! Inbound messages, reassembled from their fragments within the size limit.
//!
//! A websocket message may arrive as a first frame plus continuation frames. The window
//! accepts at most `max_frame_bytes` per message after reassembly (PROTOCOL.md §4): one byte
//! more and the connection closes with 1009. This adapter does the reassembly itself so that
//! an oversized message is a typed [`ReadError::TooBig`], not an I/O error told apart by its
//! text.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_http::ws::{Frame, Item, ProtocolError};
use actix_web::web::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;

use super::frames::{Frames, Source};

/// One whole message from the client.
#[derive(Debug, PartialEq)]
pub(super) enum Incoming {
    /// A text message.
    Text(ByteString),
    /// A binary message (the protocol has no use for them; they are refused).
    Binary,
    /// A ping, with the payload its pong must echo.
    Ping(Bytes),
    /// A pong.
    Pong,
    /// The client's close frame.
    Close,
}

/// Why reading stopped making sense.
#[derive(Debug)]
pub(super) enum ReadError {
    /// A message, whole or reassembled, exceeds the size limit (1009).
    TooBig,
    /// A text message, whole or reassembled, is not UTF-8 (1007).
    InvalidUtf8,
    /// The transport failed (the peer is gone).
    Transport(std::io::Error),
    /// The client broke the websocket protocol: bad opcode, unmasked frame, reserved bits,
    /// oversized control frame, a continuation of nothing (1002).
    Protocol(ProtocolError),
}

impl ReadError {
    /// What an error of the frame reader means. The codec reports reserved bits as an
    /// `InvalidData` I/O error; one wrapping a `Utf8Error` means invalid UTF-8 (whole text
    /// frames are checked here, in [`Reassembled`], and report it directly).
    fn of(error: ProtocolError) -> ReadError {
        match error {
            ProtocolError::Overflow => ReadError::TooBig,
            ProtocolError::Io(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                let utf8 = error
                    .get_ref()
                    .is_some_and(|inner| inner.is::<std::str::Utf8Error>());
                if utf8 {
                    ReadError::InvalidUtf8
                } else {
                    ReadError::Protocol(ProtocolError::Io(error))
                }
            }
            ProtocolError::Io(error) => ReadError::Transport(error),
            error => ReadError::Protocol(error),
        }
    }
}

/// The kind of the message being reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Its first frame was text.
    Text,
    /// Its first frame was binary.
    Binary,
}

/// Reassembles the fragments of [`Frames`] into whole [`Incoming`] messages.
pub(super) struct Reassembled<S> {
    /// Frames as they arrive (each already bounded by the size limit).
    frames: Frames<S>,
    /// The message being reassembled.
    fragments: Fragments,
}

impl<S> Reassembled<S> {
    /// Reassembles messages of at most `max_bytes` from `frames`.
    pub(super) fn new(frames: Frames<S>, max_bytes: usize) -> Reassembled<S> {
        Reassembled {
            frames,
            fragments: Fragments {
                max_bytes,
                partial: None,
            },
        }
    }
}

/// The fragments of one message, bounded.
struct Fragments {
    /// Largest message, in bytes, after reassembly.
    max_bytes: usize,
    /// The message being reassembled: its kind and the bytes so far. Held only between the
    /// first and the last fragment of a message.
    partial: Option<(Kind, BytesMut)>,
}

impl Fragments {
    /// Adds a fragment (`kind` is set on a first fragment); the whole message once `last`
    /// arrives.
    fn push(
        &mut self,
        kind: Option<Kind>,
        bytes: Bytes,
        last: bool,
    ) -> Option<Result<Incoming, ReadError>> {
        let (kind, mut buffer) = match (kind, self.partial.take()) {
            // A first fragment starts a new message (one left unfinished is dropped, as
            // actix-ws's own aggregation does).
            (Some(kind), _) => (kind, BytesMut::new()),
            (None, Some(partial)) => partial,
            // A continuation of nothing: start one of unknown kind as text, as actix-ws does.
            (None, None) => (Kind::Text, BytesMut::new()),
        };
        if buffer.len() + bytes.len() > self.max_bytes {
            return Some(Err(ReadError::TooBig));
        }
        buffer.extend_from_slice(&bytes);
        if !last {
            self.partial = Some((kind, buffer));
            return None;
        }
        Some(match kind {
            Kind::Binary => Ok(Incoming::Binary),
            Kind::Text => ByteString::try_from(buffer.freeze())
                .map(Incoming::Text)
                .map_err(|_| ReadError::InvalidUtf8),
        })
    }
}

impl<S: Source + Unpin> Stream for Reassembled<S> {
    type Item = Result<Incoming, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let message = match ready!(Pin::new(&mut this.frames).poll_next(cx)) {
                None => return Poll::Ready(None),
                Some(Err(error)) => Err(ReadError::of(error)),
                Some(Ok(message)) => Ok(message),
            };
            let whole = match message {
                Err(error) => Err(error),
                Ok(Frame::Text(bytes)) => ByteString::try_from(bytes)
                    .map(Incoming::Text)
                    .map_err(|_| ReadError::InvalidUtf8),
                Ok(Frame::Binary(_)) => Ok(Incoming::Binary),
                Ok(Frame::Ping(payload)) => Ok(Incoming::Ping(payload)),
                Ok(Frame::Pong(_)) => Ok(Incoming::Pong),
                Ok(Frame::Close(_)) => Ok(Incoming::Close),
                Ok(Frame::Continuation(item)) => {
                    let (kind, bytes, last) = match item {
                        Item::FirstText(b) => (Some(Kind::Text), b, false),
                        Item::FirstBinary(b) => (Some(Kind::Binary), b, false),
                        Item::Continue(b) => (None, b, false),
                        Item::Last(b) => (None, b, true),
                    };
                    match this.fragments.push(kind, bytes, last) {
                        Some(whole) => whole,
                        None => continue,
                    }
                }
            };
            return Poll::Ready(Some(whole));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragments(max_bytes: usize) -> Fragments {
        Fragments {
            max_bytes,
            partial: None,
        }
    }

    #[test]
    fn fragments_make_one_message() {
        let mut f = fragments(8);
        assert!(f.push(Some(Kind::Text), Bytes::from("ab"), false).is_none());
        assert!(f.push(None, Bytes::from("cd"), false).is_none());
        let whole = f.push(None, Bytes::from("ef"), true).unwrap().unwrap();
        assert_eq!(whole, Incoming::Text("abcdef".into()));
        assert!(f.partial.is_none(), "nothing is held between messages");
    }

    #[test]
    fn one_byte_over_the_limit_is_too_big() {
        let mut f = fragments(4);
        assert!(f
            .push(Some(Kind::Binary), Bytes::from("ab"), false)
            .is_none());
        assert!(matches!(
            f.push(None, Bytes::from("cde"), true),
            Some(Err(ReadError::TooBig))
        ));
        let mut f = fragments(4);
        assert!(f
            .push(Some(Kind::Binary), Bytes::from("ab"), false)
            .is_none());
        assert_eq!(
            f.push(None, Bytes::from("cd"), true).unwrap().unwrap(),
            Incoming::Binary
        );
    }

    #[test]
    fn invalid_utf8_in_fragments_is_invalid_utf8() {
        let mut f = fragments(8);
        assert!(f
            .push(Some(Kind::Text), Bytes::from_static(&[0xff]), false)
            .is_none());
        assert!(matches!(
            f.push(None, Bytes::new(), true),
            Some(Err(ReadError::InvalidUtf8))
        ));
    }

    #[test]
    fn reader_errors_map_to_their_close_codes() {
        use std::io::{Error, ErrorKind};
        let invalid: Vec<u8> = vec![0xff];
        let utf8 = std::str::from_utf8(&invalid).unwrap_err();
        let cases = [
            (ProtocolError::Overflow, "too big"),
            (
                ProtocolError::Io(Error::new(ErrorKind::InvalidData, utf8)),
                "utf8",
            ),
            (
                ProtocolError::Io(Error::new(ErrorKind::InvalidData, "reserved bits")),
                "protocol",
            ),
            (
                ProtocolError::Io(Error::from(ErrorKind::ConnectionReset)),
                "transport",
            ),
            (ProtocolError::UnmaskedFrame, "protocol"),
            (ProtocolError::BadOpCode, "protocol"),
        ];
        for (error, expected) in cases {
            let shown = format!("{error:?}");
            let got = match ReadError::of(error) {
                ReadError::TooBig => "too big",
                ReadError::InvalidUtf8 => "utf8",
                ReadError::Transport(_) => "transport",
                ReadError::Protocol(_) => "protocol",
            };
            assert_eq!(got, expected, "{shown}");
        }
    }
}
