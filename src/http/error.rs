//! Errors of the HTTP API: a status and `{"error": {"code", "message"}}`.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use uuid::Uuid;

use crate::topic::{InvalidTopic, RegisterError, TopicsError};

/// An HTTP API error, rendered as JSON naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    status: StatusCode,
    /// Machine-readable code (`bad_request`, `unauthorized`, ...).
    code: &'static str,
    /// What went wrong, for humans.
    message: String,
    /// The id of a trigger that was partly carried out, answered next to the error.
    signal_id: Option<Uuid>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            signal_id: None,
        }
    }

    /// 400: the body or a parameter is malformed (the message names it).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no or wrong API key.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong API key (Authorization: Bearer <key>)",
        )
    }

    /// 404: no such thing.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405: the call exists with another method.
    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed here"),
        )
    }

    /// 413: body too large.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body exceeds {limit} bytes"),
        )
    }

    /// 415: not JSON.
    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be application/json",
        )
    }

    /// 503: the broker is unreachable.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 503: `max_windows` registrations live already; a new one is refused.
    pub fn too_many_windows(max: usize) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_windows",
            format!("too many registered windows (max_windows = {max}); try again later"),
        )
    }

    /// 503: the trigger `signal_id` reached this node's windows (and started its server
    /// handlers), but the broker could not reach the other nodes.
    pub fn local_only(signal_id: Uuid, message: impl fmt::Display) -> ApiError {
        ApiError {
            signal_id: Some(signal_id),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "local_only",
                format!(
                    "{message}; only this node's windows received the trigger (and its \
                     \"server\" handlers ran): other nodes were not reached"
                ),
            )
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(signal_id) = self.signal_id {
            body["signal_id"] = json!(signal_id);
        }
        HttpResponse::build(self.status).json(body)
    }
}

impl From<crate::broker::BrokerError> for ApiError {
    fn from(error: crate::broker::BrokerError) -> ApiError {
        ApiError::unavailable(error.to_string())
    }
}

impl From<TopicsError> for ApiError {
    fn from(error: TopicsError) -> ApiError {
        match error {
            TopicsError::Unknown | TopicsError::Unregistered => {
                ApiError::not_found("unknown or expired window")
            }
            TopicsError::InvalidTopic(_) | TopicsError::TooManyTopics { .. } => {
                ApiError::bad_request(error.to_string())
            }
            TopicsError::Broker(e) => e.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> ApiError {
        match error {
            RegisterError::InvalidTopic(_) | RegisterError::TooManyTopics { .. } => {
                ApiError::bad_request(error.to_string())
            }
            RegisterError::TooManyWindows { max } => ApiError::too_many_windows(max),
            RegisterError::Broker(e) => e.into(),
        }
    }
}

impl From<InvalidTopic> for ApiError {
    fn from(error: InvalidTopic) -> ApiError {
        ApiError::bad_request(error.to_string())
    }
}

impl From<crate::signal::TriggerError> for ApiError {
    fn from(error: crate::signal::TriggerError) -> ApiError {
        use crate::signal::TriggerError;
        match error {
            TriggerError::Broker(e) => e.into(),
            TriggerError::LocalOnly { signal_id, source } => {
                ApiError::local_only(signal_id, source)
            }
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::BrokerError;
    use crate::signal::TriggerError;

    fn body(error: &ApiError) -> serde_json::Value {
        let response = error.error_response();
        let bytes = actix_web::body::to_bytes(response.into_body());
        let bytes = futures_util::FutureExt::now_or_never(bytes)
            .expect("a JSON body is ready at once")
            .expect("a body");
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn a_trigger_that_reached_only_this_node_answers_503_local_only_with_its_id() {
        let signal_id = Uuid::new_v4();
        let error = ApiError::from(TriggerError::LocalOnly {
            signal_id,
            source: BrokerError::Unavailable("redis: down".into()),
        });
        assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let body = body(&error);
        assert_eq!(body["error"]["code"], json!("local_only"), "{body}");
        assert_eq!(body["signal_id"], json!(signal_id.to_string()), "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("only this node's windows"), "{body}");
    }

    #[test]
    fn too_many_windows_answers_503_naming_the_limit() {
        let error = ApiError::from(RegisterError::TooManyWindows { max: 7 });
        assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let body = body(&error);
        assert_eq!(body["error"]["code"], json!("too_many_windows"), "{body}");
        assert!(body.get("signal_id").is_none(), "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("max_windows = 7"), "{body}");
    }
}
