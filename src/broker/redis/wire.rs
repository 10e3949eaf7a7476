//! The messages nodes exchange through Redis, and their exact bytes.
//!
//! A message on a topic channel is a JSON [`Header`] line, a newline, then the frame exactly
//! as windows receive it. A message on the control channel is one JSON [`Control`] object.
//! Backends in other languages publish these by hand: the bytes must not change.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::broker::Publication;
use crate::identity::WindowKey;

/// The header line of a message on a topic channel.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Header {
    /// The trigger's id, to deliver it once per node.
    pub(super) signal_id: Uuid,
    /// Every topic of the trigger.
    pub(super) topics: Vec<String>,
    /// The node that published it (without an offset, it delivered locally already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) node: Option<Uuid>,
    /// Its place in the history, when it was published with one (the script that publishes
    /// it appends this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) offset: Option<u64>,
}

/// A message on the control channel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Control {
    /// A window's topics changed: every node moves its connections.
    Topics {
        /// The window that changed.
        key: WindowKey,
        /// All its topics now, implicit ones included.
        topics: Vec<String>,
        /// The record's version after the change, to recognise late updates.
        version: u64,
        /// The node that made the change (it applied it locally already).
        #[serde(default)]
        node: Option<Uuid>,
    },
    /// A window was deleted: every node closes its connections.
    Deleted {
        /// The deleted window.
        key: WindowKey,
        /// The node that deleted it (it closed its connections already).
        #[serde(default)]
        node: Option<Uuid>,
    },
}

impl Control {
    /// The message as published on the control channel.
    pub(super) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("control messages serialise")
    }

    /// A message read from the control channel.
    pub(super) fn decode(payload: &[u8]) -> serde_json::Result<Control> {
        serde_json::from_slice(payload)
    }
}

/// Why a message on a topic channel could not be read.
#[derive(Debug)]
pub(super) enum Malformed {
    /// No newline ends a header line.
    NoHeaderLine,
    /// The header line is not a valid [`Header`].
    Header(serde_json::Error),
}

/// The header line of `publication`, sent by `node`, without its newline.
pub(super) fn encode_header(publication: &Publication, node: Uuid) -> Vec<u8> {
    let header = Header {
        signal_id: publication.signal_id,
        topics: publication.topics.clone(),
        node: Some(node),
        offset: publication.offset,
    };
    serde_json::to_vec(&header).expect("headers serialise")
}

/// The message published on a topic channel for `publication`, sent by `node`.
pub(super) fn encode_publication(publication: &Publication, node: Uuid) -> Vec<u8> {
    let mut message = encode_header(publication, node);
    message.push(b'\n');
    message.extend_from_slice(publication.payload.as_bytes());
    message
}

/// Splits a message read from a topic channel into its header and its frame (the bytes after
/// the header line, not checked yet).
pub(super) fn decode_publication(mut payload: Vec<u8>) -> Result<(Header, Vec<u8>), Malformed> {
    let newline = payload
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(Malformed::NoHeaderLine)?;
    let header: Header = serde_json::from_slice(&payload[..newline]).map_err(Malformed::Header)?;
    payload.drain(..=newline);
    Ok((header, payload))
}

#[cfg(test)]
mod tests {
    use bytestring::ByteString;

    use super::*;

    #[test]
    fn control_messages_round_trip() {
        let key = WindowKey::generate();
        let text = serde_json::to_string(&Control::Deleted {
            key: key.clone(),
            node: None,
        })
        .unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"deleted","key":"{}","node":null}}"#,
                key.as_str()
            )
        );
    }

    #[test]
    fn publications_are_a_header_line_then_the_frame() {
        let publication = Publication {
            signal_id: Uuid::nil(),
            topics: vec!["room:lobby".into(), "-broadcast".into()],
            payload: ByteString::from_static(r#"{"signal":"a"}"#),
            offset: None,
        };
        let node = Uuid::max();
        let message = encode_publication(&publication, node);
        assert_eq!(
            String::from_utf8(message.clone()).unwrap(),
            format!(
                "{{\"signal_id\":\"{}\",\"topics\":[\"room:lobby\",\"-broadcast\"],\
                 \"node\":\"{node}\"}}\n{{\"signal\":\"a\"}}",
                Uuid::nil()
            )
        );
        let (header, frame) = decode_publication(message).unwrap();
        assert_eq!(header.signal_id, Uuid::nil());
        assert_eq!(header.topics, publication.topics);
        assert_eq!(header.node, Some(node));
        assert_eq!(frame, br#"{"signal":"a"}"#);
    }

    #[test]
    fn publications_without_a_header_line_are_malformed() {
        assert!(matches!(
            decode_publication(b"{}".to_vec()),
            Err(Malformed::NoHeaderLine)
        ));
        assert!(matches!(
            decode_publication(b"nope\n{}".to_vec()),
            Err(Malformed::Header(_))
        ));
    }
}
