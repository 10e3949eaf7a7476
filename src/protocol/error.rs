//! Error codes of PROTOCOL.md §5, as one table.

use std::fmt;

/// Why a call or a frame failed. Sent to the browser as `error.code`.
///
/// | code | when |
/// |---|---|
/// | `bad_frame` | the frame is not a well-formed call |
/// | `unknown_signal` | no handler of that name may be called from a browser |
/// | `forbidden` | handlers exist and allow browsers, but none allows this window |
/// | `invalid_arguments` | opts do not fit the handler's arguments (the message names it) |
/// | `handler_error` | the handler returned an error or panicked (message safe to show) |
/// | `rate_limited` | the window exceeded its call rate, or a handler queue is full |
/// | `timeout` | the handler did not finish within its time limit |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The frame is not a well-formed call.
    BadFrame,
    /// No handler of that name may be called from a browser (unknown or server-only).
    UnknownSignal,
    /// Handlers exist and allow browsers, but none allows this window.
    Forbidden,
    /// The opts do not fit the handler's arguments.
    InvalidArguments,
    /// The handler returned an error or panicked.
    HandlerError,
    /// The window is calling too fast, or the handler queue is full.
    RateLimited,
    /// The handler did not finish within its time limit.
    Timeout,
}

impl ErrorCode {
    /// Every code, for metrics that want a zero for each.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::BadFrame,
        ErrorCode::UnknownSignal,
        ErrorCode::Forbidden,
        ErrorCode::InvalidArguments,
        ErrorCode::HandlerError,
        ErrorCode::RateLimited,
        ErrorCode::Timeout,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::UnknownSignal => "unknown_signal",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidArguments => "invalid_arguments",
            ErrorCode::HandlerError => "handler_error",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
