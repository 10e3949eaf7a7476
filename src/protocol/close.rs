//! Why the server closes a window's connection: PROTOCOL.md §5's close codes, as one table.

/// A reason to close a connection, with its websocket close code.
///
/// | variant | code | meaning for the client |
/// |---|---|---|
/// | `Normal` | 1000 | done; no need to reconnect |
/// | `Shutdown` | 1001 | the server is going away; reconnect (elsewhere) |
/// | `Protocol` | 1002 | the client broke RFC 6455 (reserved bits, bad opcode, ...); a broken client: do not retry in a tight loop |
/// | `InvalidUtf8` | 1007 | a text message was not UTF-8; likewise |
/// | `Policy` | 1008 | revoked window or abuse; do not retry in a tight loop |
/// | `TooBig` | 1009 | a frame exceeded the size limit |
/// | `Internal` | 1011 | the server failed |
/// | `TooSlow` | 1013 | the client could not keep up; reconnect with backoff |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disconnect {
    /// 1000: normal closure.
    Normal,
    /// 1001: the server is shutting down.
    Shutdown,
    /// 1002: protocol error (RFC 6455: reserved bits, bad opcode, oversized control frame,
    /// a continuation of nothing, ...).
    Protocol,
    /// 1007: a text message was not valid UTF-8.
    InvalidUtf8,
    /// 1008: policy violation (window deleted, persistent abuse).
    Policy,
    /// 1009: message too big.
    TooBig,
    /// 1011: internal error.
    Internal,
    /// 1013: the outbound queue overflowed.
    TooSlow,
}

impl Disconnect {
    /// Every reason, for tables and the test that holds PROTOCOL.md to the code.
    pub const ALL: [Disconnect; 8] = [
        Disconnect::Normal,
        Disconnect::Shutdown,
        Disconnect::Protocol,
        Disconnect::InvalidUtf8,
        Disconnect::Policy,
        Disconnect::TooBig,
        Disconnect::Internal,
        Disconnect::TooSlow,
    ];

    /// The websocket close code.
    pub fn code(self) -> u16 {
        match self {
            Disconnect::Normal => 1000,
            Disconnect::Shutdown => 1001,
            Disconnect::Protocol => 1002,
            Disconnect::InvalidUtf8 => 1007,
            Disconnect::Policy => 1008,
            Disconnect::TooBig => 1009,
            Disconnect::Internal => 1011,
            Disconnect::TooSlow => 1013,
        }
    }

    /// A short human-readable reason sent in the close frame.
    pub fn reason(self) -> &'static str {
        match self {
            Disconnect::Normal => "normal closure",
            Disconnect::Shutdown => "server shutting down",
            Disconnect::Protocol => "protocol error",
            Disconnect::InvalidUtf8 => "invalid UTF-8",
            Disconnect::Policy => "policy violation",
            Disconnect::TooBig => "frame too large",
            Disconnect::Internal => "internal error",
            Disconnect::TooSlow => "too slow: outbound queue full",
        }
    }
}
