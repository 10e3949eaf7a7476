//! `GET /ws/`: the websocket upgrade (PROTOCOL.md §3).

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::origin;
use super::views::WINDOW_KEY_COOKIE;
use super::AppState;
use crate::identity::WindowKey;
use crate::limit::Refused;
use crate::window::{self, Joining};

/// The query string of an upgrade.
#[derive(Deserialize)]
struct UpgradeQuery {
    /// The window key (preferred over the cookie, so tabs never share one).
    dfwskey: Option<String>,
    /// The last position the client holds, to recover what it missed (PROTOCOL.md §5.6).
    since: Option<String>,
}

fn forbidden(message: &str) -> HttpResponse {
    HttpResponse::Forbidden().json(json!({"error": {"code": "forbidden", "message": message}}))
}

/// The answer to an upgrade beyond a connection limit: 503 when the node is full (another
/// node may have room; the client retries later), 429 for the per-address and per-user
/// limits.
fn refusal(refused: &Refused) -> HttpResponse {
    match refused {
        Refused::NodeFull(_) => HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .json(json!({"error": {"code": "unavailable", "message": refused.to_string()}})),
        _ => HttpResponse::TooManyRequests().json(json!({"error": {
            "code": "too_many_connections", "message": refused.to_string()
        }})),
    }
}

/// The query string of an upgrade; an unreadable one counts as empty.
fn upgrade_query(req: &HttpRequest) -> UpgradeQuery {
    web::Query::<UpgradeQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or(UpgradeQuery {
            dfwskey: None,
            since: None,
        })
}

/// The window key of an upgrade: the `dfwskey` query parameter, then the cookie.
fn upgrade_key(req: &HttpRequest, query: &UpgradeQuery) -> Option<WindowKey> {
    query
        .dfwskey
        .clone()
        .or_else(|| req.cookie(WINDOW_KEY_COOKIE).map(|c| c.value().to_owned()))
        .and_then(|key| WindowKey::parse(&key).ok())
}

/// Who the upgrade is: the registration of its key (anonymous without one), or the answer
/// that refuses it (503 when the broker cannot be asked, 403 when unknown windows are
/// refused).
async fn joining(req: &HttpRequest, state: &AppState) -> Result<Joining, HttpResponse> {
    let query = upgrade_query(req);
    let record = match upgrade_key(req, &query) {
        Some(key) => state.windows.get(&key).await.map_err(|e| {
            HttpResponse::ServiceUnavailable()
                .json(json!({"error": {"code": "unavailable", "message": e.to_string()}}))
        })?,
        None => None,
    };
    match record {
        Some(record) => Ok(Joining {
            topics: record.all_topics(),
            version: record.version,
            ttl: Duration::from_secs(record.ttl_secs),
            info: record.info,
            since: query.since,
        }),
        None if state.config.refuse_unknown_windows => {
            Err(forbidden("unknown or expired window key"))
        }
        None => Ok(Joining {
            since: query.since,
            ..Joining::default()
        }),
    }
}

/// Checks the origin, resolves the window key to its registration, admits the connection
/// within the per-address and per-user limits, and starts the window.
pub(super) async fn upgrade(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if req
        .extensions()
        .get::<super::upgrade::HandedOver>()
        .is_none()
    {
        // Websocket handshakes reach this handler through the node's upgrade service (which
        // hands the socket over to the window); anything else is no handshake.
        let message = match actix_http::ws::handshake(req.head()) {
            Err(error) => error.to_string(),
            Ok(_) => "a websocket handshake that did not come through the upgrade service".into(),
        };
        return Ok(HttpResponse::BadRequest().json(json!({"error": {
            "code": "bad_request", "message": message
        }})));
    }
    let config = &state.config;
    if !origin::allowed(
        &req,
        &config.allowed_origins,
        config.public_ws_url.as_deref(),
    ) {
        return Ok(forbidden("origin not allowed"));
    }
    let joining = match joining(&req, &state).await {
        Ok(joining) => joining,
        Err(refused) => return Ok(refused),
    };
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let address = state.trusted_proxies.client_address(peer, req.headers());
    let user = joining.info.user.as_ref().map(|u| u.id.as_str());
    let admission = match state.connections.admit(address, user) {
        Ok(admission) => admission,
        Err(refused) => {
            tracing::debug!(client = %address, reason = %refused, "websocket refused");
            state
                .metrics
                .connections_refused
                .with_label_values(&[refused.label()])
                .inc();
            return Ok(refusal(&refused));
        }
    };
    tracing::debug!(client = %address, "websocket accepted");
    Ok(window::accept(
        &req,
        joining,
        state.window_services.clone(),
        admission,
    )?)
}
