//! The error a signal handler returns, mapped to a PROTOCOL.md error code.

use std::fmt;

use crate::protocol::ErrorCode;

/// Why a handler refused or failed a call. The message is sent to the browser, so it must be
/// safe to show; errors converted with `?` from other error types are logged in full and shown
/// only as "internal error".
pub struct SignalError {
    /// The wire code (`forbidden`, `invalid_arguments`, `handler_error`, ...).
    code: ErrorCode,
    /// Text for the browser.
    message: String,
}

impl SignalError {
    /// An error with an explicit code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> SignalError {
        SignalError {
            code,
            message: message.into(),
        }
    }

    /// `forbidden`: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> SignalError {
        SignalError::new(ErrorCode::Forbidden, message)
    }

    /// `invalid_arguments`: the message should name the offending argument.
    pub fn invalid_arguments(message: impl Into<String>) -> SignalError {
        SignalError::new(ErrorCode::InvalidArguments, message)
    }

    /// `handler_error` with a message safe to show.
    pub fn handler(message: impl Into<String>) -> SignalError {
        SignalError::new(ErrorCode::HandlerError, message)
    }

    /// The wire code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message sent to the browser.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalError({}: {})", self.code, self.message)
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Any error type converts with `?`: it is logged, and the browser sees `handler_error`
/// "internal error" (internals never leak).
impl<E: std::error::Error + Send + Sync + 'static> From<E> for SignalError {
    fn from(error: E) -> SignalError {
        tracing::error!(error = %error, "signal handler failed");
        SignalError::handler("internal error")
    }
}
