//! What the registry knows of a connection: a place to put frames, and a way to ask it to
//! leave. The window layer implements [`Member`] with its outbox; the registry never sees a
//! websocket, a close code or a frame's contents.

use bytestring::ByteString;

/// Why the registry asks a member to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// The window's registration was deleted: it must not receive anything more.
    Deleted,
    /// The node is shutting down: the client should reconnect elsewhere.
    Shutdown,
}

/// One connection as the registry holds it.
pub trait Member: Send + Sync + 'static {
    /// Queues an already-serialised frame without waiting; `offset` is its place in the
    /// history, if it has one (a member recovering what it missed uses it to drop what it
    /// replays). Returns `false` when it was not queued (the member is gone, or too slow and
    /// closing itself).
    fn deliver(&self, frame: ByteString, offset: Option<u64>) -> bool;

    /// Asks the connection to close for `reason`.
    fn evict(&self, reason: Eviction);

    /// The registry has forgotten the connection and will deliver nothing more to it (a
    /// connection whose producers are all gone may finish).
    fn release(&self);
}
