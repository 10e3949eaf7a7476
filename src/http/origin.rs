//! Which web pages may open a websocket (PROTOCOL.md §3.3): same-origin by default.
//!
//! A browser always sends `Origin` with a websocket upgrade, and a page on another site can
//! open one in a visitor's browser (the window key may then come from the `dfwskey` cookie).
//! So, as Django Channels' `AllowedHostsOriginValidator` and gorilla/websocket do:
//!
//! | `allowed_origins` | upgrade with `Origin` | upgrade without `Origin` |
//! |---|---|---|
//! | empty (default) | accepted when its host and port are the request's `Host`, or `public_ws_url`'s | accepted (not a browser) |
//! | contains `*` | accepted | accepted |
//! | a list | accepted when it equals an entry (ASCII case-insensitively) | accepted |

use actix_web::http::header;
use actix_web::HttpRequest;

/// Whether the upgrade `req` may proceed, given the configured allow-list and public URL.
pub(super) fn allowed(req: &HttpRequest, allowed: &[String], public_ws_url: Option<&str>) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !allowed.is_empty() {
        return allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(origin.trim()));
    }
    let Some(page) = Authority::of_origin(origin) else {
        return false;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| Authority::parse(h, page.default_port));
    let public = public_ws_url.and_then(Authority::of_ws_url);
    [host, public].into_iter().flatten().any(|a| a == page)
}

/// A host and port, normalised for comparison.
#[derive(Debug, PartialEq, Eq)]
struct Authority {
    /// Lower-case host name or address (IPv6 with its brackets).
    host: String,
    /// The explicit port, or the scheme's default.
    port: u16,
    /// The default port of the scheme it came with (for a `Host` header without one).
    default_port: u16,
}

impl Authority {
    /// `scheme://host[:port]` of an `Origin` header (`null` and other schemes are `None`).
    fn of_origin(origin: &str) -> Option<Authority> {
        let (scheme, rest) = origin.trim().split_once("://")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if rest.contains(['/', '?', '#', '@']) {
            return None;
        }
        Authority::parse(rest, default_port)
    }

    /// The authority of a `ws://` or `wss://` URL (the configured public URL).
    fn of_ws_url(url: &str) -> Option<Authority> {
        let (scheme, rest) = url.trim().split_once("://")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => 80,
            "wss" | "https" => 443,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        Authority::parse(authority, default_port)
    }

    /// `host[:port]`, with `default_port` when no port is given.
    fn parse(authority: &str, default_port: u16) -> Option<Authority> {
        let authority = authority.trim();
        let (host, port) = match authority.rsplit_once(':') {
            // An IPv6 address without a port: its colons are inside the brackets.
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (authority, None),
        };
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(port) => port.parse().ok()?,
            None => default_port,
        };
        Some(Authority {
            host: host.to_ascii_lowercase(),
            port,
            default_port,
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(origin: Option<&str>, host: &str) -> HttpRequest {
        let mut request = TestRequest::get().insert_header((header::HOST, host));
        if let Some(origin) = origin {
            request = request.insert_header((header::ORIGIN, origin));
        }
        request.to_http_request()
    }

    #[test]
    fn same_origin_by_default() {
        let cases: [(Option<&str>, &str, Option<&str>, bool); 14] = [
            (None, "example.com", None, true),
            (Some("https://example.com"), "example.com", None, true),
            (Some("https://EXAMPLE.com"), "example.com", None, true),
            (Some("https://example.com"), "example.com:443", None, true),
            (
                Some("http://example.com:8000"),
                "example.com:8000",
                None,
                true,
            ),
            (Some("http://example.com:8000"), "example.com", None, false),
            (Some("https://evil.example"), "example.com", None, false),
            (Some("https://sub.example.com"), "example.com", None, false),
            (Some("null"), "example.com", None, false),
            (Some("file://"), "example.com", None, false),
            (Some("http://[::1]:8000"), "[::1]:8000", None, true),
            // Behind a proxy that rewrites Host: the public URL's authority counts.
            (
                Some("https://example.com"),
                "127.0.0.1:8000",
                Some("wss://example.com/ws/"),
                true,
            ),
            (
                Some("https://evil.example"),
                "127.0.0.1:8000",
                Some("wss://example.com/ws/"),
                false,
            ),
            (
                Some("http://127.0.0.1:9000"),
                "127.0.0.1:8000",
                Some("ws://127.0.0.1:9000/ws/"),
                true,
            ),
        ];
        for (origin, host, public, expected) in cases {
            assert_eq!(
                allowed(&request(origin, host), &[], public),
                expected,
                "{origin:?} on {host} (public {public:?})"
            );
        }
    }

    #[test]
    fn a_list_or_a_star() {
        let list = vec!["https://good.example".to_owned()];
        let star = vec!["*".to_owned()];
        assert!(allowed(
            &request(Some("https://GOOD.example"), "x"),
            &list,
            None
        ));
        assert!(!allowed(
            &request(Some("https://evil.example"), "x"),
            &list,
            None
        ));
        assert!(allowed(&request(None, "x"), &list, None), "not a browser");
        assert!(allowed(
            &request(Some("https://evil.example"), "x"),
            &star,
            None
        ));
    }
}
