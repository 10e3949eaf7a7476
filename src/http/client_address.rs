//! The client address of a request (PROTOCOL.md §3.5): the TCP peer, or, when the peer is a
//! trusted proxy, the address that proxy forwarded.
//!
//! Only a proxy the operator trusts (`trusted_proxies`, a list of CIDR blocks) may speak for
//! the client: anyone else's `X-Forwarded-For` or `Forwarded` header is ignored, since a
//! client can send whatever it likes. Each proxy appends the address it received the request
//! from, so the list is read from the right: the **right-most address that is not a trusted
//! proxy** is the client. Entries to its left were written by the client itself, or by
//! proxies nobody vouches for.
//!
//! | TCP peer | forwarded list | client address |
//! |---|---|---|
//! | not trusted | anything | the peer |
//! | trusted | none | the peer |
//! | trusted | `a, p1` (`p1` trusted, `a` not) | `a` |
//! | trusted | `spoofed, a` (`a` not trusted) | `a` |
//! | trusted | all trusted | the left-most |
//! | trusted | `a, garbage, p1` | `p1` (the last hop that could be read) |
//!
//! `X-Forwarded-For` (what nginx, HAProxy, Envoy, Traefik, Caddy and cloud load balancers
//! append) is read when present, else `Forwarded` (RFC 7239, its `for=` parameters). A
//! trusted proxy that maintains `Forwarded` must therefore drop any `X-Forwarded-For` the
//! client sent (SECURITY.md).

use std::net::IpAddr;

use actix_web::http::header::{HeaderMap, HeaderName};

use crate::config::Cidr;

/// `X-Forwarded-For`.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// `Forwarded` (RFC 7239).
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The proxies whose forwarding headers are believed. Empty (the default): none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// The configured blocks.
    pub fn new(blocks: &[Cidr]) -> TrustedProxies {
        TrustedProxies(blocks.to_vec())
    }

    /// Whether `address` is a trusted proxy.
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// The client address of a request that came from `peer` with `headers`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = if headers.contains_key(&X_FORWARDED_FOR) {
            x_forwarded_for(headers)
        } else {
            forwarded(headers)
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            // Unreadable: whoever wrote it cannot be vouched for; the proxy that passed it on
            // is the last address known.
            let Some(hop) = hop else { return client };
            client = hop.to_canonical();
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// The entries of every `X-Forwarded-For` line, in order (`None` for an unreadable one).
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(&X_FORWARDED_FOR)
        .flat_map(|line| match line.to_str() {
            Ok(line) => line.split(',').map(node).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// The `for=` of every element of every `Forwarded` line, in order (`None` for an element
/// without a readable one).
fn forwarded(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for line in headers.get_all(&FORWARDED) {
        let Ok(line) = line.to_str() else {
            hops.push(None);
            continue;
        };
        for element in split_unquoted(line, ',') {
            let found = split_unquoted(element, ';').into_iter().find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"'))
            });
            hops.push(found.and_then(node));
        }
    }
    hops
}

/// `text` split at `separator`, except inside double quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// One forwarded node: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
/// `unknown` and obfuscated identifiers (`_hidden`) are not addresses.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(address) = text.parse() {
        return Some(address);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusted(blocks: &[&str]) -> TrustedProxies {
        let blocks: Vec<Cidr> = blocks.iter().map(|b| b.parse().unwrap()).collect();
        TrustedProxies::new(&blocks)
    }

    fn headers(lines: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "fd00::/8"]);
        let proxy = ip("10.0.0.2");
        // (header lines, the client address, why)
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
        );
        let cases: [Case; 14] = [
            (&[], "10.0.0.2", "the proxy itself, forwarding nothing"),
            (
                &[("x-forwarded-for", "203.0.113.7")],
                "203.0.113.7",
                "one hop",
            ),
            (
                &[("x-forwarded-for", "198.51.100.1, 203.0.113.7")],
                "203.0.113.7",
                "a spoofed entry left of the real client is ignored",
            ),
            (
                &[("x-forwarded-for", "203.0.113.7, 10.0.0.9")],
                "203.0.113.7",
                "through two trusted proxies",
            ),
            (
                &[("x-forwarded-for", "10.0.0.8, 10.0.0.9")],
                "10.0.0.8",
                "all trusted: the left-most",
            ),
            (
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("x-forwarded-for", "203.0.113.7"),
                ],
                "203.0.113.7",
                "several header lines form one list",
            ),
            (
                &[("x-forwarded-for", "203.0.113.7, nonsense, 10.0.0.9")],
                "10.0.0.9",
                "garbage stops the walk at the last readable hop",
            ),
            (
                &[("x-forwarded-for", "203.0.113.7:5123")],
                "203.0.113.7",
                "an IPv4 address with a port",
            ),
            (
                &[("x-forwarded-for", "[2001:db8::7]:443")],
                "2001:db8::7",
                "a bracketed IPv6 address with a port",
            ),
            (
                &[("forwarded", "for=203.0.113.7;proto=https")],
                "203.0.113.7",
                "Forwarded",
            ),
            (
                &[(
                    "forwarded",
                    "for=198.51.100.1, for=\"[2001:db8::7]:4711\";by=\"a;b,c\"",
                )],
                "2001:db8::7",
                "Forwarded: quoted IPv6, quoted separators",
            ),
            (
                &[("forwarded", "for=_hidden, For=10.0.0.3")],
                "10.0.0.3",
                "an obfuscated identifier is not an address",
            ),
            (
                &[
                    ("forwarded", "for=198.51.100.1"),
                    ("x-forwarded-for", "203.0.113.7"),
                ],
                "203.0.113.7",
                "X-Forwarded-For wins when both are present",
            ),
            (
                &[("x-forwarded-for", "::ffff:203.0.113.7")],
                "203.0.113.7",
                "IPv4-mapped addresses are shown as IPv4",
            ),
        ];
        for (lines, client, why) in cases {
            assert_eq!(
                proxies.client_address(proxy, &headers(lines)),
                ip(client),
                "{why}"
            );
        }
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let none = TrustedProxies::default();
        let spoof = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(none.client_address(ip("10.0.0.2"), &spoof), ip("10.0.0.2"));
        let some = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            some.client_address(ip("192.0.2.1"), &spoof),
            ip("192.0.2.1")
        );
    }
}
