//! Application topic names: [`TopicName`], checked once where a name enters the library.
//!
//! The implicit topics (`-broadcast`, `-window.<key>`, ...) are derived from a window's
//! identity and named in [`crate::identity`]; every other topic is an application topic, and
//! a value of type [`TopicName`] is proof that its name follows the rules of PROTOCOL.md §2.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest application topic name, in bytes (PROTOCOL.md §2).
pub const MAX_TOPIC_LEN: usize = 200;

/// An application topic name: 1 to 200 bytes of UTF-8, no control characters, not starting
/// with the `-` reserved for implicit topics.
///
/// Build one with [`TopicName::new`] (or `parse`, or `TryFrom<String>`); once built it is
/// never checked again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TopicName(String);

/// What is wrong with a topic name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicRule {
    /// The empty string.
    Empty,
    /// Longer than 200 bytes.
    TooLong,
    /// Starts with `-`, the prefix of the implicit topics.
    Reserved,
    /// Holds a control character.
    ControlCharacter,
}

impl fmt::Display for TopicRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TopicRule::Empty => "a topic name cannot be empty",
            TopicRule::TooLong => "a topic name is at most 200 bytes",
            TopicRule::Reserved => "topic names starting with `-` are reserved",
            TopicRule::ControlCharacter => "a topic name cannot contain control characters",
        })
    }
}

/// A string that is not a valid application topic name: the one error for bad topic names,
/// wherever they come from (a browser's opts, a view, the HTTP API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid topic `{name}`: {rule}")]
pub struct InvalidTopic {
    /// The offending name (truncated to a readable length).
    pub name: String,
    /// The rule it breaks.
    pub rule: TopicRule,
}

/// How much of an invalid name an error repeats (a 1 MB name must not become a 1 MB message).
const SHOWN_CHARS: usize = 64;

impl TopicName {
    /// Checks `name` against the rules of PROTOCOL.md §2.
    pub fn new(name: impl Into<String>) -> Result<TopicName, InvalidTopic> {
        let name = name.into();
        match broken_rule(&name) {
            None => Ok(TopicName(name)),
            Some(rule) => Err(InvalidTopic {
                name: name.chars().take(SHOWN_CHARS).collect(),
                rule,
            }),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn broken_rule(name: &str) -> Option<TopicRule> {
    if name.is_empty() {
        Some(TopicRule::Empty)
    } else if name.len() > MAX_TOPIC_LEN {
        Some(TopicRule::TooLong)
    } else if name.starts_with('-') {
        Some(TopicRule::Reserved)
    } else if name.chars().any(char::is_control) {
        Some(TopicRule::ControlCharacter)
    } else {
        None
    }
}

impl FromStr for TopicName {
    type Err = InvalidTopic;
    fn from_str(s: &str) -> Result<TopicName, InvalidTopic> {
        TopicName::new(s)
    }
}

impl TryFrom<String> for TopicName {
    type Error = InvalidTopic;
    fn try_from(s: String) -> Result<TopicName, InvalidTopic> {
        TopicName::new(s)
    }
}

impl TryFrom<&str> for TopicName {
    type Error = InvalidTopic;
    fn try_from(s: &str) -> Result<TopicName, InvalidTopic> {
        TopicName::new(s)
    }
}

impl From<TopicName> for String {
    fn from(name: TopicName) -> String {
        name.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a list of names, failing on the first invalid one.
pub(crate) fn topic_names<I, S>(names: I) -> Result<Vec<TopicName>, InvalidTopic>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    names.into_iter().map(TopicName::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> Result<(), TopicRule> {
        TopicName::new(name).map(drop).map_err(|e| e.rule)
    }

    #[test]
    fn topic_rules() {
        assert_eq!(rule("room:lobby"), Ok(()));
        assert_eq!(rule("é"), Ok(()));
        assert_eq!(rule(""), Err(TopicRule::Empty));
        assert_eq!(rule("-broadcast"), Err(TopicRule::Reserved));
        assert_eq!(rule("a\nb"), Err(TopicRule::ControlCharacter));
        assert_eq!(rule(&"x".repeat(200)), Ok(()));
        assert_eq!(rule(&"x".repeat(201)), Err(TopicRule::TooLong));
    }

    #[test]
    fn errors_name_the_topic_briefly() {
        let error = TopicName::new("-x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid topic `-x`: topic names starting with `-` are reserved"
        );
        let long = TopicName::new("y".repeat(10_000)).unwrap_err();
        assert_eq!(long.name.len(), SHOWN_CHARS);
    }

    #[test]
    fn names_decode_only_when_valid() {
        let name: TopicName = serde_json::from_str("\"room:1\"").unwrap();
        assert_eq!(name.as_str(), "room:1");
        assert!(serde_json::from_str::<TopicName>("\"-broadcast\"").is_err());
    }
}
