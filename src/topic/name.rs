//! Topic names: the reserved implicit topics and the rules for application topics.

/// Every registered window is a member of this topic.
pub const BROADCAST: &str = "-broadcast";

/// Longest application topic name, in bytes (PROTOCOL.md §2).
pub const MAX_TOPIC_LEN: usize = 200;

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

/// An application topic name that breaks the rules of PROTOCOL.md §2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTopic {
    /// The empty string.
    #[error("a topic name cannot be empty")]
    Empty,
    /// Longer than [`MAX_TOPIC_LEN`] bytes.
    #[error("a topic name is at most 200 bytes")]
    TooLong,
    /// Starts with `-`, the prefix of the implicit topics.
    #[error("topic names starting with `-` are reserved")]
    Reserved,
    /// Holds a control character.
    #[error("a topic name cannot contain control characters")]
    ControlCharacter,
}

/// Checks an application topic name: 1 to 200 bytes of UTF-8, no control characters, not
/// starting with the reserved `-`.
pub fn validate_topic(topic: &str) -> Result<(), InvalidTopic> {
    if topic.is_empty() {
        Err(InvalidTopic::Empty)
    } else if topic.len() > MAX_TOPIC_LEN {
        Err(InvalidTopic::TooLong)
    } else if topic.starts_with('-') {
        Err(InvalidTopic::Reserved)
    } else if topic.chars().any(char::is_control) {
        Err(InvalidTopic::ControlCharacter)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_rules() {
        assert_eq!(validate_topic("room:lobby"), Ok(()));
        assert_eq!(validate_topic("é"), Ok(()));
        assert_eq!(validate_topic(""), Err(InvalidTopic::Empty));
        assert_eq!(validate_topic("-broadcast"), Err(InvalidTopic::Reserved));
        assert_eq!(validate_topic("a\nb"), Err(InvalidTopic::ControlCharacter));
        assert_eq!(validate_topic(&"x".repeat(200)), Ok(()));
        assert_eq!(validate_topic(&"x".repeat(201)), Err(InvalidTopic::TooLong));
    }
}
