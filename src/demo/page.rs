//! The demo page: registers a window per page view and renders it with its meta tags.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::{ApiError, PageWindow};
use crate::identity::{User, WindowInfo, WindowKey};

/// The page, with `<!--switchboard-meta-->` and `{{username}}` placeholders.
const INDEX: &str = include_str!("../../static/demo/index.html");

/// A page written for df_websockets 1.x: cookies only, `DFSignals.connect` and `call` only.
const LEGACY: &str = include_str!("../../static/demo/legacy.html");

/// The page's stylesheet.
const STYLESHEET: &str = include_str!("../../static/demo/demo.css");

/// The page's script (uses the bundled client).
const SCRIPT: &str = include_str!("../../static/demo/demo.js");

/// Cookie naming the demo's guest user, so the tabs of one browser are one user.
const USER_COOKIE: &str = "switchboard_demo_user";

/// The guest id in the cookie, if well-formed (`guest-` and 6 characters of `[a-z0-9]`).
fn guest_from_cookie(req: &HttpRequest) -> Option<String> {
    let value = req.cookie(USER_COOKIE)?.value().to_owned();
    let suffix = value.strip_prefix("guest-")?;
    let ok = suffix.len() == 6
        && suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ok.then_some(value)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /`: a fresh window for this tab, as the demo's guest user.
pub(super) async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let guest = guest_from_cookie(&req)
        .unwrap_or_else(|| format!("guest-{}", &WindowKey::generate().as_str()[..6]));
    let username = format!("Guest {}", &guest[6..]);
    let info = WindowInfo {
        user: Some(User {
            id: guest.clone(),
            username: username.clone(),
            ..User::default()
        }),
        ..WindowInfo::default()
    };
    let window = PageWindow::register(&req, info, std::iter::empty::<String>()).await?;
    let body = INDEX
        .replace("<!--switchboard-meta-->", &window.meta_tags())
        .replace("{{username}}", &escape_html(&username));
    let mut response = HttpResponse::Ok();
    window.set_cookies(&mut response);
    response
        .cookie(
            Cookie::build(USER_COOKIE, guest)
                .path("/")
                .max_age(time::Duration::days(365))
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish(),
        )
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8");
    Ok(response.body(body))
}

/// `GET /demo/legacy`: the df_websockets 1.x compatibility page. Its window is registered for
/// an anonymous visitor and delivered only through the `dfwskey`/`dfwsurl` cookies.
pub(super) async fn legacy(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let window =
        PageWindow::register(&req, WindowInfo::anonymous(), std::iter::empty::<String>()).await?;
    let mut response = HttpResponse::Ok();
    window.set_cookies(&mut response);
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8");
    Ok(response.body(LEGACY))
}

/// `GET /static/demo/demo.css`.
pub(super) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLESHEET)
}

/// `GET /static/demo/demo.js`.
pub(super) async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(SCRIPT)
}
