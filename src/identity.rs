//! The identity behind a browser window: its [`WindowKey`] and [`WindowInfo`], and the
//! implicit topics that identity puts the window in.
//!
//! A window key is the only credential a browser presents; whoever holds it is that window.
//! [`WindowInfo`] is what server code registered for the key (user, session, language). It is
//! plain data, shared by every layer from the broker (which stores it) to the signal handlers
//! (which check permissions against it). This module depends on no other part of the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Number of characters of a window key (PROTOCOL.md §1).
pub const WINDOW_KEY_LEN: usize = 32;

/// Alphabet of window keys: `[a-z0-9]`, 36 symbols, so 32 characters carry about 165 bits.
const KEY_ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// How many leading characters of a key may appear in logs (PROTOCOL.md §1).
const LOGGED_PREFIX: usize = 6;

/// The secret that names one browser window.
///
/// `Display` and `Debug` print only the first six characters, so a key written to a log by
/// accident is not a usable credential. Use [`WindowKey::as_str`] where the full key is needed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WindowKey(String);

/// A string that is not a well-formed window key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a window key is 32 characters of [a-z0-9]")]
pub struct InvalidWindowKey;

impl WindowKey {
    /// Draws a fresh key from the operating system's CSPRNG.
    ///
    /// Rejection sampling keeps every symbol equally likely (256 is not a multiple of 36).
    pub fn generate() -> WindowKey {
        let mut key = String::with_capacity(WINDOW_KEY_LEN);
        let mut buf = [0u8; 64];
        while key.len() < WINDOW_KEY_LEN {
            getrandom::fill(&mut buf).expect("the operating system's random source failed");
            for byte in buf {
                // 252 = 7 * 36: bytes above it would favour the first symbols.
                if byte < 252 && key.len() < WINDOW_KEY_LEN {
                    key.push(KEY_ALPHABET[(byte % 36) as usize] as char);
                }
            }
        }
        WindowKey(key)
    }

    /// Checks the shape of a key received from outside (query string, cookie, header, API).
    pub fn parse(s: &str) -> Result<WindowKey, InvalidWindowKey> {
        let well_formed = s.len() == WINDOW_KEY_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if well_formed {
            Ok(WindowKey(s.to_owned()))
        } else {
            Err(InvalidWindowKey)
        }
    }

    /// The full key. Treat it as a secret.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first characters of the key, safe to log.
    pub fn redacted(&self) -> &str {
        &self.0[..LOGGED_PREFIX]
    }
}

impl TryFrom<String> for WindowKey {
    type Error = InvalidWindowKey;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        WindowKey::parse(&s)
    }
}

impl From<WindowKey> for String {
    fn from(key: WindowKey) -> String {
        key.0
    }
}

impl fmt::Display for WindowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.redacted())
    }
}

impl fmt::Debug for WindowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WindowKey({}…)", self.redacted())
    }
}

/// The logged-in user behind a window, as the web application vouched for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Stable identifier; windows of one user share the topic `-user.<id>`.
    pub id: String,
    /// Display name, for handlers that show who did something.
    #[serde(default)]
    pub username: String,
    /// Django's `is_staff`: may use staff-only signals.
    #[serde(default)]
    pub is_staff: bool,
    /// Django's `is_superuser`: may use every signal and holds every permission.
    #[serde(default)]
    pub is_superuser: bool,
    /// Permission names (`app.codename`) checked by `has_perm`.
    #[serde(default)]
    pub perms: Vec<String>,
}

impl User {
    /// Whether the user holds `perm`; a superuser holds them all (Django semantics).
    pub fn has_perm(&self, perm: &str) -> bool {
        self.is_superuser || self.perms.iter().any(|p| p == perm)
    }
}

/// Everything the server knows about a window: who is behind it and how to address it.
///
/// Registered by server code before the page connects (PROTOCOL.md §2), then carried by the
/// connection and handed to every signal handler the window calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowInfo {
    /// The window's key; `None` for a connection that presented no known key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_key: Option<WindowKey>,
    /// The logged-in user; `None` for an anonymous visitor.
    #[serde(default)]
    pub user: Option<User>,
    /// The web application's session key, so triggers can target one browser session.
    #[serde(default)]
    pub session: Option<String>,
    /// Preferred language (e.g. `en`), for handlers that render text.
    #[serde(default)]
    pub language: Option<String>,
    /// What the web application attached to the registration for itself (PROTOCOL.md §6.2,
    /// at most 4 KiB), handed back verbatim to its backend (§10); Switchboard never reads it.
    /// Boxed: most windows have none, and pay one pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl WindowInfo {
    /// A window with no key and no identity: what an unregistered connection gets.
    pub fn anonymous() -> WindowInfo {
        WindowInfo::default()
    }

    /// Whether a user is logged in behind this window.
    pub fn is_authenticated(&self) -> bool {
        self.user.is_some()
    }

    /// The implicit topics of PROTOCOL.md §2 for this window: `-broadcast`, `-window.<key>`,
    /// `-user.<id>` and `-session.<key>`. Empty for an unregistered window.
    pub fn implicit_topics(&self) -> Vec<String> {
        let Some(key) = &self.window_key else {
            return Vec::new();
        };
        let mut topics = vec![BROADCAST.to_owned(), window_topic(key.as_str())];
        if let Some(user) = &self.user {
            topics.push(user_topic(&user.id));
        }
        if let Some(session) = &self.session {
            topics.push(session_topic(session));
        }
        topics
    }
}

/// Every registered window is a member of this topic (PROTOCOL.md §2).
pub const BROADCAST: &str = "-broadcast";

/// The implicit topic of one window key: reaches every connection presenting it.
pub fn window_topic(key: &str) -> String {
    format!("-window.{key}")
}

/// The implicit topic of a user: reaches every window of that user.
pub fn user_topic(user_id: &str) -> String {
    format!("-user.{user_id}")
}

/// The implicit topic of a session: reaches every window of that browser session.
pub fn session_topic(session: &str) -> String {
    format!("-session.{session}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = WindowKey::generate();
        let b = WindowKey::generate();
        assert_eq!(WindowKey::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, b);
    }

    #[test]
    fn display_redacts_the_key() {
        let key = WindowKey::generate();
        let shown = format!("{key} {key:?}");
        assert!(!shown.contains(key.as_str()));
        assert!(shown.contains(key.redacted()));
    }

    #[test]
    fn parse_rejects_bad_shapes() {
        assert!(WindowKey::parse("short").is_err());
        assert!(WindowKey::parse(&"A".repeat(32)).is_err());
        assert!(WindowKey::parse(&"a".repeat(33)).is_err());
        assert!(WindowKey::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn superuser_has_every_perm() {
        let mut user = User {
            id: "1".into(),
            ..User::default()
        };
        assert!(!user.has_perm("blog.change"));
        user.perms.push("blog.change".into());
        assert!(user.has_perm("blog.change"));
        let root = User {
            id: "2".into(),
            is_superuser: true,
            ..User::default()
        };
        assert!(root.has_perm("anything.at_all"));
    }
}
