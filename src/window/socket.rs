//! Resetting a connection whose close frame cannot be written.
//!
//! The server closes a connection by writing a close frame, which the connection's writer
//! writes only while the socket accepts bytes. A client that stopped reading (a stalled
//! phone, a frozen tab, an attacker) would keep the connection, its memory and its file
//! descriptor until TCP gives up, which a zero receive window may postpone forever. So a
//! connection the server closed that is still open [`CLOSE_GRACE`] later is reset: `SO_LINGER`
//! 0, then the socket is closed, so the kernel discards what was unsent and sends RST.

use std::os::fd::AsRawFd;
use std::time::Duration;

use tokio::net::TcpStream;

/// How long a connection the server closed may take to write its close frame before its
/// socket is reset.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Makes the closing of `socket` a reset: what it has not sent is discarded.
pub(super) fn reset_on_close(socket: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is the open socket `socket` owns; setsockopt reads `linger` and
    // touches no other memory of ours.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
