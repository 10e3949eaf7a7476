//! The HTTP API for backends (PROTOCOL.md §6): register windows, change their topics, delete
//! them, trigger signals. JSON in, JSON out, behind a bearer key.

use std::time::Duration;

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError, Route, Scope};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use super::views::ws_base_url;
use super::{ApiError, AppState};
use crate::broker::Position;
use crate::identity::{User, WindowInfo, WindowKey};
use crate::signal::{Destinations, To};
use crate::topic::TopicName;

/// Longest registration time-to-live accepted, in seconds (30 days).
const MAX_TTL_SECS: u64 = 30 * 24 * 3600;

/// Why every API call answers 404 when no key is configured.
const API_DISABLED: &str = "the HTTP API is disabled (no api_key)";

/// Where the API is mounted.
pub(super) const PREFIX: &str = "/api/v1";

/// One call of the API: the route table below is the one place calls are declared, so the
/// test that holds PROTOCOL.md to the code reads the same list the server mounts.
pub(super) struct Call {
    /// Its method.
    pub(super) method: Method,
    /// Its path under [`PREFIX`].
    pub(super) path: &'static str,
    /// Its handler, as a route without a method guard.
    handler: fn() -> Route,
}

/// Every call of the HTTP API (PROTOCOL.md §6).
pub(super) const CALLS: [Call; 6] = [
    Call {
        method: Method::POST,
        path: "/windows",
        handler: || web::to(register_window),
    },
    Call {
        method: Method::PUT,
        path: "/windows/{key}",
        handler: || web::to(register_window_as),
    },
    Call {
        method: Method::POST,
        path: "/windows/{key}/topics",
        handler: || web::to(change_topics),
    },
    Call {
        method: Method::DELETE,
        path: "/windows/{key}",
        handler: || web::to(delete_window),
    },
    Call {
        method: Method::POST,
        path: "/trigger",
        handler: || web::to(trigger),
    },
    Call {
        method: Method::GET,
        path: "/topics/{topic}/history",
        handler: || web::to(topic_history),
    },
];

/// Most history entries one read returns.
const MAX_HISTORY_LIMIT: usize = 10_000;

/// The `/api/v1` scope: every call of [`CALLS`], a JSON 405 for a known path with another
/// method, a JSON 404 for any other path.
pub(super) fn scope() -> Scope {
    let mut paths: Vec<&str> = CALLS.iter().map(|call| call.path).collect();
    paths.dedup();
    paths
        .into_iter()
        .fold(web::scope(PREFIX), |scope, path| {
            // One resource per path, with a route per method declared for it.
            let resource = CALLS
                .iter()
                .filter(|call| call.path == path)
                .fold(web::resource(path), |resource, call| {
                    resource.route((call.handler)().method(call.method.clone()))
                });
            scope.service(resource.default_service(web::to(method_not_allowed)))
        })
        .default_service(web::to(no_such_call))
}

/// A known API path with the wrong method: 405, in JSON like every API answer (404 while the
/// API is disabled).
async fn method_not_allowed(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let error = match &state.config.api_key {
        Some(_) => ApiError::method_not_allowed(req.method().as_str()),
        None => ApiError::not_found(API_DISABLED),
    };
    error.error_response()
}

/// An unknown API path: 404 in JSON.
async fn no_such_call(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let error = match &state.config.api_key {
        Some(_) => ApiError::not_found(format!("no API call at {}", req.path())),
        None => ApiError::not_found(API_DISABLED),
    };
    error.error_response()
}

/// Checks `Authorization: Bearer <key>` in constant time. Without a configured key the API
/// does not exist (404).
fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = &state.config.api_key else {
        return Err(ApiError::not_found(API_DISABLED));
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, key)| key.trim());
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

/// Reads a JSON body of at most `limit` bytes and decodes it. Errors are [`ApiError`]s that
/// name the offending field (400), the size (413) or the content type (415): use it in the
/// application's own JSON views too.
pub async fn json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    // No Content-Type at all is read as JSON, for hand-written `curl -d` calls.
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or("application/json", |v| {
            v.split(';').next().unwrap_or("").trim()
        });
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::unsupported_media_type());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    decode_object(&body)
}

/// Decodes a body that must be exactly one JSON object (derived decoders would also read an
/// array by position, and stop before trailing data).
fn decode_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::bad_request(
            "invalid body: expected a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path == "?" {
            ApiError::bad_request(format!("invalid body: {}", e.inner()))
        } else {
            ApiError::bad_request(format!("`{path}`: {}", e.inner()))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    Ok(value)
}

/// Checks application topic names, naming the offending entry (`topics[2]`).
fn topic_names(field: &str, topics: Vec<String>) -> Result<Vec<TopicName>, ApiError> {
    topics
        .into_iter()
        .enumerate()
        .map(|(i, topic)| {
            TopicName::new(topic)
                .map_err(|e| ApiError::bad_request(format!("`{field}[{i}]`: {}", e.rule)))
        })
        .collect()
}

fn path_key(key: &str) -> Result<WindowKey, ApiError> {
    WindowKey::parse(key).map_err(|_| ApiError::not_found("unknown or expired window"))
}

/// Most bytes of a registration's `extra` object, serialised: it is kept with every
/// registration and sent back with every backend call.
const MAX_EXTRA_BYTES: usize = 4096;

/// Body of `POST /api/v1/windows` and `PUT /api/v1/windows/{key}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterWindow {
    /// The logged-in user, if any.
    #[serde(default)]
    user: Option<User>,
    /// The backend's session key, if any.
    #[serde(default)]
    session: Option<String>,
    /// Preferred language.
    #[serde(default)]
    language: Option<String>,
    /// Application topics.
    #[serde(default)]
    topics: Vec<String>,
    /// Time-to-live in seconds; the configured default when absent.
    #[serde(default)]
    ttl: Option<u64>,
    /// The backend's own data about the window, handed back in backend calls.
    #[serde(default)]
    extra: Option<serde_json::Map<String, Value>>,
}

/// A checked registration: who, in which topics, for how long.
struct Registration {
    /// The identity (without its key).
    info: WindowInfo,
    /// Application topics.
    topics: Vec<TopicName>,
    /// Time-to-live.
    ttl: Duration,
}

impl RegisterWindow {
    /// Checks every field, naming the offending one.
    fn check(self, state: &AppState) -> Result<Registration, ApiError> {
        if matches!(&self.user, Some(u) if u.id.is_empty()) {
            return Err(ApiError::bad_request("`user.id`: must not be empty"));
        }
        if matches!(&self.session, Some(s) if s.is_empty()) {
            return Err(ApiError::bad_request("`session`: must not be empty"));
        }
        if let Some(extra) = &self.extra {
            let bytes = serde_json::to_vec(extra).map_or(usize::MAX, |v| v.len());
            if bytes > MAX_EXTRA_BYTES {
                return Err(ApiError::bad_request(format!(
                    "`extra`: at most {MAX_EXTRA_BYTES} bytes of JSON"
                )));
            }
        }
        let topics = topic_names("topics", self.topics)?;
        let ttl = match self.ttl {
            Some(0) => return Err(ApiError::bad_request("`ttl`: must be at least 1 second")),
            Some(t) if t > MAX_TTL_SECS => {
                return Err(ApiError::bad_request(format!(
                    "`ttl`: at most {MAX_TTL_SECS} seconds"
                )))
            }
            Some(t) => Duration::from_secs(t),
            None => state.windows.settings().ttl,
        };
        let info = WindowInfo {
            window_key: None,
            user: self.user,
            session: self.session,
            language: self.language,
            extra: self.extra.map(Box::new),
        };
        Ok(Registration { info, topics, ttl })
    }
}

/// The answer to a registration.
fn registered(req: &HttpRequest, state: &AppState, key: &WindowKey, ttl: Duration) -> Value {
    let ws_url = ws_base_url(req, &state.config);
    let separator = if ws_url.contains('?') { '&' } else { '?' };
    json!({
        "window_key": key.as_str(),
        "ws_url": format!("{ws_url}{separator}dfwskey={}", key.as_str()),
        "expires_in": ttl.as_secs(),
    })
}

async fn register_window(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let body: RegisterWindow = json_body(&req, payload, state.config.max_api_body_bytes).await?;
    let Registration { info, topics, ttl } = body.check(&state)?;
    let key = state.windows.register(info, topics, Some(ttl)).await?;
    Ok(HttpResponse::Created().json(registered(&req, &state, &key, ttl)))
}

/// `PUT /api/v1/windows/{key}`: registers under a key the backend chose (df_websockets makes
/// its own), replacing what the key had; its connections move to the new topics.
async fn register_window_as(
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let key =
        WindowKey::parse(&key).map_err(|e| ApiError::bad_request(format!("window key: {e}")))?;
    let body: RegisterWindow = json_body(&req, payload, state.config.max_api_body_bytes).await?;
    let Registration { info, topics, ttl } = body.check(&state)?;
    state
        .windows
        .register_as(key.clone(), info, topics, Some(ttl))
        .await?;
    Ok(HttpResponse::Ok().json(registered(&req, &state, &key, ttl)))
}

/// Body of `POST /api/v1/windows/{key}/topics`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeTopics {
    /// Topics to add.
    #[serde(default)]
    add: Vec<String>,
    /// Topics to remove (after adding).
    #[serde(default)]
    remove: Vec<String>,
}

async fn change_topics(
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let key = path_key(&key)?;
    let body: ChangeTopics = json_body(&req, payload, state.config.max_api_body_bytes).await?;
    let add = topic_names("add", body.add)?;
    let remove = topic_names("remove", body.remove)?;
    let record = state.windows.change_topics(&key, &add, &remove).await?;
    Ok(HttpResponse::Ok().json(json!({"topics": record.topics})))
}

async fn delete_window(
    req: HttpRequest,
    key: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let key = path_key(&key)?;
    if state.windows.delete(&key).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("unknown or expired window"))
    }
}

/// Body of `POST /api/v1/trigger`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Trigger {
    /// The signal name.
    signal: String,
    /// Its options; `{}` when absent.
    #[serde(default)]
    opts: Option<serde_json::Map<String, Value>>,
    /// Destinations, required so nothing is broadcast by accident.
    to: Vec<Value>,
    /// The trigger's id, when the backend chose it (a new one otherwise).
    #[serde(default)]
    signal_id: Option<uuid::Uuid>,
}

/// Decodes one entry of `to` ([`To::from_json`]).
fn destination(index: usize, value: &Value) -> Result<To, ApiError> {
    To::from_json(value).map_err(|m| ApiError::bad_request(format!("`to[{index}]`: {m}")))
}

async fn trigger(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let body: Trigger = json_body(&req, payload, state.config.max_api_body_bytes).await?;
    if body.to.is_empty() {
        return Err(ApiError::bad_request(
            "`to`: at least one destination is required",
        ));
    }
    let to = body
        .to
        .iter()
        .enumerate()
        .map(|(i, v)| destination(i, v))
        .collect::<Result<Vec<To>, ApiError>>()?;
    let signal_id = state
        .router
        .trigger_with_id(
            body.signal_id.unwrap_or_else(uuid::Uuid::new_v4),
            (),
            &body.signal,
            Destinations(to),
            body.opts.unwrap_or_default(),
        )
        .await?;
    Ok(HttpResponse::Accepted().json(json!({"signal_id": signal_id})))
}

/// Query of `GET /api/v1/topics/{topic}/history`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    /// `EPOCH:OFFSET`: entries after it; the newest ones without it.
    since: Option<String>,
    /// Most entries returned (default 100; 0 returns only the position).
    limit: Option<usize>,
}

/// A topic named in a path: an application topic, or an implicit one (`-broadcast`,
/// `-user.42`, ...), which backends may read too.
fn any_topic(name: String) -> Result<String, ApiError> {
    let implicit = name.starts_with('-')
        && name.len() <= crate::topic::MAX_TOPIC_LEN
        && !name.chars().any(char::is_control);
    if implicit {
        return Ok(name);
    }
    TopicName::new(name)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| ApiError::bad_request(format!("topic: {}", e.rule)))
}

/// `GET /api/v1/topics/{topic}/history?since=EPOCH:OFFSET&limit=N` (PROTOCOL.md §6.6): the
/// topic's recent triggers and the history's position, so a backend can load its state and
/// have pages resume from that position.
async fn topic_history(
    req: HttpRequest,
    topic: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let topic = any_topic(topic.into_inner())?;
    let query = web::Query::<HistoryQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("query: {e}")))?
        .into_inner();
    let since = query
        .since
        .map(|s| {
            s.parse::<Position>()
                .map_err(|e| ApiError::bad_request(format!("`since`: {e}")))
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if limit > MAX_HISTORY_LIMIT {
        return Err(ApiError::bad_request(format!(
            "`limit`: at most {MAX_HISTORY_LIMIT}"
        )));
    }
    let Some(mut history) = state
        .history
        .topic(&topic, since.as_ref().map(|p| p.offset), limit)
        .await?
    else {
        return Err(ApiError::not_found(
            "this server keeps no history (history_size = 0)",
        ));
    };
    // A position from another epoch is not in this history: nothing after it is known.
    if since.is_some_and(|s| s.epoch != history.position.epoch) {
        history.entries.clear();
        history.complete = false;
    }
    let publications = history
        .entries
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.frame))
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|e| ApiError::unavailable(format!("malformed history entry: {e}")))?;
    Ok(HttpResponse::Ok().json(json!({
        "topic": topic,
        "position": {"epoch": history.position.epoch, "offset": history.position.offset},
        "complete": history.complete,
        "publications": publications,
    })))
}

/// Runs every body decoder of the HTTP API on arbitrary bytes, for the `api_body` fuzz target
/// (`fuzz/`): the bodies of `POST /windows`, `POST /windows/{key}/topics` and `POST /trigger`,
/// decoded as [`json_body`] decodes them, then their topic checks and every entry of `to`
/// through `destination`. Any rejection must be a 400 that renders; nothing may panic.
#[doc(hidden)]
pub fn fuzz_api_body(body: &[u8]) {
    let mut outcomes = vec![
        decode_object::<RegisterWindow>(body)
            .and_then(|b| topic_names("topics", b.topics).map(drop)),
        decode_object::<ChangeTopics>(body).and_then(|b| {
            topic_names("add", b.add)?;
            topic_names("remove", b.remove).map(drop)
        }),
    ];
    match decode_object::<Trigger>(body) {
        Ok(b) => {
            let _ = crate::protocol::is_valid_signal_name(&b.signal);
            outcomes.extend(
                b.to.iter()
                    .enumerate()
                    .map(|(i, v)| destination(i, v).map(drop)),
            );
        }
        Err(e) => outcomes.push(Err(e)),
    }
    for error in outcomes.into_iter().filter_map(Result::err) {
        assert_eq!(error.code(), "bad_request", "{error}");
        let _ = error.error_response();
    }
}
