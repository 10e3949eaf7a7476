//! Connecting as a window that recovers what it missed (PROTOCOL.md §5.6): the frames before
//! the position frame, and positions as clients keep them.

use serde_json::Value;

use super::Client;

/// A connection opened with `?since=`, and what came before live delivery.
pub struct Resumed {
    /// The connection, after the position frame.
    pub client: Client,
    /// Signal frames before the position frame, whole.
    pub replayed: Vec<Value>,
    /// The position frame.
    pub position: Value,
}

/// `EPOCH:OFFSET` of a position frame.
pub fn since_of(position: &Value) -> String {
    format!(
        "{}:{}",
        position["position"]["epoch"].as_str().unwrap(),
        position["position"]["offset"]
    )
}

/// Opens `url` (which has a query string already), with `since`, and reads up to the
/// position frame.
pub async fn resume(url: &str, since: Option<&str>) -> Resumed {
    let mut url = url.to_owned();
    if let Some(since) = since {
        url.push_str("&since=");
        url.push_str(&urlencode(since));
    }
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket upgrade");
    let mut client = Client::from_stream(ws);
    let mut replayed = Vec::new();
    loop {
        let frame = client.recv_raw().await;
        if frame.get("position").is_some() {
            return Resumed {
                client,
                replayed,
                position: frame,
            };
        }
        assert!(frame.get("signal").is_some(), "unexpected frame {frame}");
        replayed.push(frame);
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The position after the frames a client received: the position frame's, raised by every
/// signal frame's offset.
pub fn position_after(position: &Value, frames: &[Value]) -> String {
    let epoch = position["position"]["epoch"].as_str().unwrap();
    let offset = frames
        .iter()
        .filter_map(|f| f["offset"].as_u64())
        .chain(position["position"]["offset"].as_u64())
        .max()
        .unwrap();
    format!("{epoch}:{offset}")
}
