//! Resetting a connection's socket when its close frame cannot be written.
//!
//! The server closes a connection by writing a close frame from the connection's writer,
//! which writes only while the socket accepts bytes. A client that stopped reading (a
//! stalled phone, a frozen tab, an attacker) would keep the connection, its buffers and its
//! file descriptor until TCP gives up, which a zero receive window may postpone forever. So a
//! connection the server closed that is still open [`CLOSE_GRACE`] later is reset: `SO_LINGER`
//! 0 then `shutdown(2)`, which wakes the writer with an error; it ends, the socket is
//! closed, and the kernel discards what was unsent and sends RST.
//!
//! The descriptor is only touched while the writer lives: the writer holds the socket open
//! and forgets the descriptor when dropped, so a descriptor number reused by a newer
//! connection is never reset.

use std::os::fd::RawFd;
use std::time::Duration;

use parking_lot::Mutex;

/// How long a connection the server closed may take to write its close frame before its
/// socket is reset.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The descriptor of a live connection, forgotten when its writer is dropped.
#[derive(Debug, Default)]
pub(super) struct Socket(Mutex<Option<RawFd>>);

impl Socket {
    /// The socket of a live connection.
    pub(super) fn new(fd: RawFd) -> Socket {
        Socket(Mutex::new(Some(fd)))
    }

    /// The connection is gone (its writer is dropped, its socket is next).
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
        // writer's drop takes before the socket can close); setsockopt reads `linger`, and
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
