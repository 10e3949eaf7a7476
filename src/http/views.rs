//! Helpers for the views of Rust web applications: register the window of a page being
//! rendered ([`PageWindow`]), and know which window made a request ([`CallingWindow`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponseBuilder};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use uuid::Uuid;

use super::{ApiError, AppState};
use crate::config::Config;
use crate::identity::{User, WindowInfo, WindowKey};
use crate::signal::{Destinations, Origin, SignalRouter, TriggerError};
use crate::topic::{topic_names, RegisterError, TopicsError, Windows};

/// Cookie holding the window key (df_websockets compatibility).
pub const WINDOW_KEY_COOKIE: &str = "dfwskey";

/// Cookie holding the percent-encoded websocket URL (df_websockets compatibility).
pub const WS_URL_COOKIE: &str = "dfwsurl";

/// Header carrying the window key on requests made by a page (fetch, XHR).
const WINDOW_KEY_HEADER: &str = "X-Window-Key";

/// df_websockets' header for the same.
const DFWSKEY_HEADER: &str = "DFWSKEY";

/// Lifetime of the cookies, in seconds (df_websockets: one day).
const COOKIE_MAX_AGE: i64 = 86_400;

/// What Python's `quote_plus` leaves as is: letters, digits and `_.-~`.
const QUOTE_PLUS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::unavailable("switchboard is not mounted on this app"))
}

/// The websocket URL pages should connect to, without the key: the configured public URL, or
/// `ws[s]://<host><ws_path>` from the request.
pub(crate) fn ws_base_url(req: &HttpRequest, config: &Config) -> String {
    if let Some(url) = &config.public_ws_url {
        return url.clone();
    }
    let info = req.connection_info();
    let scheme = if info.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{}{}", info.host(), config.ws_path)
}

fn html_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The window of a page being rendered, registered with its identity and topics
/// (df_websockets' `set_websocket_topics`).
///
/// ```no_run
/// # use actix_web::{HttpRequest, HttpResponse};
/// # use switchboard::http::PageWindow;
/// # use switchboard::WindowInfo;
/// async fn page(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     let window = PageWindow::register(&req, WindowInfo::anonymous(), ["room:lobby"]).await?;
///     let mut response = HttpResponse::Ok();
///     window.set_cookies(&mut response);
///     Ok(response.body(format!("<head>{}</head>...", window.meta_tags())))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct PageWindow {
    /// The new window's key.
    key: WindowKey,
    /// The websocket URL, without the key.
    ws_url: String,
    /// Whether the page is served over https (cookies get `Secure`).
    secure: bool,
}

impl PageWindow {
    /// Registers a fresh window for the page answering `req`, in application `topics`
    /// (checked here: an invalid name is a 400 naming it).
    pub async fn register<I, S>(
        req: &HttpRequest,
        info: WindowInfo,
        topics: I,
    ) -> Result<PageWindow, ApiError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let state = state(req)?;
        let topics = topic_names(topics).map_err(RegisterError::from)?;
        let key = state.windows.register(info, topics, None).await?;
        Ok(PageWindow {
            key,
            ws_url: ws_base_url(req, &state.config),
            secure: req.connection_info().scheme() == "https",
        })
    }

    /// The window key. A secret: it is embedded in the page and nowhere else.
    pub fn key(&self) -> &WindowKey {
        &self.key
    }

    /// The websocket URL (without the key; the client appends `?dfwskey=`).
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// `<meta name="df-window-key" ...><meta name="df-ws-url" ...>` for the page's `<head>`
    /// (PROTOCOL.md §2), HTML-escaped.
    pub fn meta_tags(&self) -> String {
        format!(
            "<meta name=\"df-window-key\" content=\"{}\">\n<meta name=\"df-ws-url\" content=\"{}\">",
            html_attr(self.key.as_str()),
            html_attr(&self.ws_url)
        )
    }

    /// The `dfwskey` and `dfwsurl` cookies of df_websockets: max-age one day, readable by
    /// scripts, `Secure` over https.
    pub fn cookies(&self) -> [Cookie<'static>; 2] {
        let make = |name: &'static str, value: String| {
            Cookie::build(name, value)
                .path("/")
                .max_age(time::Duration::seconds(COOKIE_MAX_AGE))
                .http_only(false)
                .secure(self.secure)
                .same_site(SameSite::Lax)
                .finish()
        };
        [
            make(WINDOW_KEY_COOKIE, self.key.as_str().to_owned()),
            make(
                WS_URL_COOKIE,
                utf8_percent_encode(&self.ws_url, QUOTE_PLUS).to_string(),
            ),
        ]
    }

    /// Adds both cookies to a response.
    pub fn set_cookies(&self, response: &mut HttpResponseBuilder) {
        for cookie in self.cookies() {
            response.cookie(cookie);
        }
    }
}

/// The window that made an HTTP request, from its `X-Window-Key` or `DFWSKEY` header or its
/// `dfwskey` cookie. An extractor: take it as a view argument.
///
/// With it a view can trigger to [`To::Window`](crate::To::Window) or
/// [`To::User`](crate::To::User) of the calling page.
#[derive(Clone)]
pub struct CallingWindow {
    /// For triggers.
    router: SignalRouter,
    /// For topic changes.
    windows: Windows,
    /// The registration's identity; `None` when the request carried no live key.
    info: Option<Arc<WindowInfo>>,
}

impl CallingWindow {
    /// The window's identity, if the request came from a registered window.
    pub fn info(&self) -> Option<&WindowInfo> {
        self.info.as_deref()
    }

    /// The window's user, if logged in.
    pub fn user(&self) -> Option<&User> {
        self.info.as_ref().and_then(|i| i.user.as_ref())
    }

    /// The window's key, if registered.
    pub fn key(&self) -> Option<&WindowKey> {
        self.info.as_ref().and_then(|i| i.window_key.as_ref())
    }

    /// Triggers a signal on behalf of this window.
    pub async fn trigger(
        &self,
        signal: &str,
        to: impl Into<Destinations>,
        opts: impl Serialize,
    ) -> Result<Uuid, TriggerError> {
        self.router.trigger(self, signal, to, opts).await
    }

    /// Adds application topics to this window, at once.
    pub async fn join(&self, topics: &[String]) -> Result<(), TopicsError> {
        let key = self.key().ok_or(TopicsError::Unregistered)?;
        let add = topic_names(topics.iter().cloned())?;
        self.windows.change_topics(key, &add, &[]).await.map(drop)
    }
}

impl From<&CallingWindow> for Origin {
    fn from(window: &CallingWindow) -> Origin {
        match &window.info {
            Some(info) => Origin::Window(info.clone()),
            None => Origin::Server,
        }
    }
}

/// Triggers a signal on behalf of the window that made `req` (df_websockets' `trigger(request,
/// ...)`): `To::Window`, `To::User` and `To::Session` mean that window's. A request without a
/// live window key triggers as server code.
pub async fn trigger(
    req: &HttpRequest,
    signal: &str,
    to: impl Into<Destinations>,
    opts: impl Serialize,
) -> Result<Uuid, ApiError> {
    let window = CallingWindow::extract(req).await?;
    Ok(window.trigger(signal, to, opts).await?)
}

/// The window key a request carries, if well-formed.
fn request_key(req: &HttpRequest) -> Option<WindowKey> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    header(WINDOW_KEY_HEADER)
        .or_else(|| header(DFWSKEY_HEADER))
        .or_else(|| req.cookie(WINDOW_KEY_COOKIE).map(|c| c.value().to_owned()))
        .and_then(|key| WindowKey::parse(&key).ok())
}

impl FromRequest for CallingWindow {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<CallingWindow, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = request_key(req);
        let state = state(req).map(|s| (s.router.clone(), s.windows.clone()));
        Box::pin(async move {
            let (router, windows) = state?;
            let info = match key {
                Some(key) => windows.get(&key).await?.map(|r| Arc::new(r.info)),
                None => None,
            };
            Ok(CallingWindow {
                router,
                windows,
                info,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_plus_like_python() {
        let encoded = utf8_percent_encode("ws://example.com:8000/ws/", QUOTE_PLUS).to_string();
        assert_eq!(encoded, "ws%3A%2F%2Fexample.com%3A8000%2Fws%2F");
    }

    #[test]
    fn meta_tags_escape() {
        assert_eq!(html_attr("a\"<b>&'"), "a&quot;&lt;b&gt;&amp;&#39;");
    }
}
