//! The error a signal handler returns, mapped to a PROTOCOL.md error code.

use std::fmt;

use super::TriggerError;
use crate::broker::BrokerError;
use crate::protocol::ErrorCode;
use crate::topic::{InvalidTopic, RegisterError, TopicsError};

/// What the browser sees when a handler fails inside (details are only logged).
const INTERNAL: &str = "internal error";

/// What the browser sees when the broker cannot be reached.
const UNAVAILABLE: &str = "service temporarily unavailable";

/// Why a handler refused or failed a call. The message is sent to the browser, so it must be
/// safe to show.
///
/// The library's own errors convert with `?` to what the browser should see: a bad topic
/// name or too many topics is `invalid_arguments`, an unregistered window `forbidden`, an
/// unreachable broker `handler_error` "service temporarily unavailable". Any other error
/// goes through [`SignalError::internal`], which logs it and shows only "internal error".
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

    /// `handler_error` "internal error" for a failure the browser must not see the details
    /// of; `error` is logged at ERROR level. For foreign errors:
    /// `db.load(id).await.map_err(SignalError::internal)?`.
    pub fn internal(error: impl fmt::Display) -> SignalError {
        tracing::error!(error = %error, "signal handler failed");
        SignalError::handler(INTERNAL)
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

/// A browser's bad topic name is its own mistake: `invalid_arguments`, naming the topic.
impl From<InvalidTopic> for SignalError {
    fn from(error: InvalidTopic) -> SignalError {
        SignalError::invalid_arguments(error.to_string())
    }
}

/// A failed change of the calling window's topics, as the browser should see it.
impl From<TopicsError> for SignalError {
    fn from(error: TopicsError) -> SignalError {
        match error {
            TopicsError::Unknown | TopicsError::Unregistered => {
                SignalError::forbidden("this window is not registered")
            }
            TopicsError::InvalidTopic(_) | TopicsError::TooManyTopics { .. } => {
                SignalError::invalid_arguments(error.to_string())
            }
            TopicsError::Broker(error) => error.into(),
        }
    }
}

/// A failed registration, as the browser should see it.
impl From<RegisterError> for SignalError {
    fn from(error: RegisterError) -> SignalError {
        match error {
            RegisterError::InvalidTopic(_) | RegisterError::TooManyTopics { .. } => {
                SignalError::invalid_arguments(error.to_string())
            }
            RegisterError::TooManyWindows { .. } => {
                tracing::warn!(%error, "a signal handler could not register a window");
                SignalError::handler(UNAVAILABLE)
            }
            RegisterError::Broker(error) => error.into(),
        }
    }
}

/// The broker is down: the browser may retry later; the details stay in the log.
impl From<BrokerError> for SignalError {
    fn from(error: BrokerError) -> SignalError {
        tracing::warn!(%error, "a signal handler could not reach the broker");
        SignalError::handler(UNAVAILABLE)
    }
}

/// A trigger the handler itself got wrong (a bad signal name or options) is a server bug;
/// a broker failure is temporary. A trigger that reached only this node's windows is a
/// failure too unless the handler accepts it (`Err(TriggerError::LocalOnly { .. })`).
impl From<TriggerError> for SignalError {
    fn from(error: TriggerError) -> SignalError {
        match error {
            TriggerError::Broker(error) | TriggerError::LocalOnly { source: error, .. } => {
                error.into()
            }
            other => SignalError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::TopicName;

    #[test]
    fn library_errors_map_to_what_the_browser_should_see() {
        let cases: [(SignalError, ErrorCode, &str); 8] = [
            (
                TopicName::new("-x").unwrap_err().into(),
                ErrorCode::InvalidArguments,
                "invalid topic `-x`",
            ),
            (
                TopicsError::Unregistered.into(),
                ErrorCode::Forbidden,
                "not registered",
            ),
            (
                TopicsError::TooManyTopics { max: 3 }.into(),
                ErrorCode::InvalidArguments,
                "at most 3 topics",
            ),
            (
                TopicsError::Broker(BrokerError::Stopped).into(),
                ErrorCode::HandlerError,
                UNAVAILABLE,
            ),
            (
                TriggerError::LocalOnly {
                    signal_id: uuid::Uuid::new_v4(),
                    source: BrokerError::Unavailable("redis: password rejected".into()),
                }
                .into(),
                ErrorCode::HandlerError,
                UNAVAILABLE,
            ),
            (
                RegisterError::TooManyWindows { max: 3 }.into(),
                ErrorCode::HandlerError,
                UNAVAILABLE,
            ),
            (
                TriggerError::OptsNotObject.into(),
                ErrorCode::HandlerError,
                INTERNAL,
            ),
            (
                SignalError::internal("db password rejected"),
                ErrorCode::HandlerError,
                INTERNAL,
            ),
        ];
        for (error, code, text) in cases {
            assert_eq!(error.code(), code, "{error}");
            assert!(error.message().contains(text), "{error}");
            assert!(!error.message().contains("password"), "{error}");
        }
    }
}
