//! Resetting a connection's socket when its close frame cannot be written.
//!
//! The server closes a connection by writing a close frame from the response body, which
//! actix-http polls only while the socket accepts bytes. A client that stopped reading (a
//! stalled phone, a frozen tab, an attacker) would keep the connection, its buffers and its
//! file descriptor until TCP gives up, which a zero receive window may postpone forever. So a
//! connection the server closed that is still open [`CLOSE_GRACE`] later is reset: `SO_LINGER`
//! 0 then `shutdown(2)`, which wakes actix-http's dispatcher with an error; it drops the
//! connection, and the kernel discards what was unsent and sends RST.
//!
//! The descriptor is only touched while the response body lives: actix-http drops the body
//! before the socket, and the body forgets the descriptor when dropped, so a descriptor
//! number reused by a newer connection is never reset.

use std::os::fd::RawFd;
use std::time::Duration;

use parking_lot::Mutex;

/// How long a connection the server closed may take to write its close frame before its
/// socket is reset.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A connection's socket descriptor, stored in actix-web's connection data when the
/// connection is accepted (`HttpServer::on_connect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketFd(pub RawFd);

/// The descriptor of a live connection, forgotten when its response body is dropped.
#[derive(Debug, Default)]
pub(super) struct Socket(Mutex<Option<RawFd>>);

impl Socket {
    /// The socket of a connection (none when the server was not set up to record it).
    pub(super) fn new(fd: Option<SocketFd>) -> Socket {
        Socket(Mutex::new(fd.map(|fd| fd.0)))
    }

    /// The connection is gone (its response body is dropped, its socket is next).
    pub(super) fn forget(&self) {
        *self.0.lock() = None;
    }

    /// Resets the connection if it is still open; returns whether it was.
    pub(super) fn reset(&self) -> bool {
        let socket = self.0.lock();
        let Some(fd) = *socket else {
            return false;
        };
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: `fd` is the open socket of a live connection (checked under the lock the
        // body's drop takes before actix-http closes it); setsockopt reads `linger`, and
        // neither call touches memory of ours otherwise.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
            libc::shutdown(fd, libc::SHUT_RDWR);
        }
        true
    }
}
