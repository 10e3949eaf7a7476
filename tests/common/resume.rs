//! Connecting as a window that recovers what it missed (PROTOCOL.md §5.6): the frames before
//! the position frame, and positions as clients keep them.

use std::future::Future;

use serde_json::{json, Value};

use super::{Client, WAIT};

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

/// Opens `url` (which has a query string already) with `since` (empty when `None`: a first
/// connection asking for its position), and reads up to the position frame.
pub async fn resume(url: &str, since: Option<&str>) -> Resumed {
    // `since=` empty asks only for the position (PROTOCOL.md §5.6).
    let url = format!("{url}&since={}", urlencode(since.unwrap_or("")));
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

/// The `opts.n` of the signal frames a counting sender (`n` = 0, 1, 2, ...) sends while a
/// window drops: reads `before` frames on `client` (connected at `position`), drops it without
/// a close frame, comes back through `reconnect` with the position it held (which must
/// recover), then reads until `n = total - 1`. Returns every `n` seen, in order: a window that
/// lost nothing and got nothing twice sees `0..total`.
pub async fn count_across_a_drop<F, Fut>(
    mut client: Client,
    position: &Value,
    before: usize,
    total: u64,
    reconnect: F,
) -> (Vec<u64>, Client)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Resumed>,
{
    let n = |frame: &Value| frame["opts"]["n"].as_u64().expect("a counted signal");
    let mut frames = Vec::new();
    while frames.len() < before {
        frames.push(client.recv_raw().await);
    }
    let mut seen: Vec<u64> = frames.iter().map(n).collect();
    let since = position_after(position, &frames);
    drop(client);
    let resumed = reconnect(since).await;
    assert_eq!(
        resumed.position["recovered"],
        json!(true),
        "{}",
        resumed.position
    );
    seen.extend(resumed.replayed.iter().map(n));
    let mut client = resumed.client;
    while seen.last() != Some(&(total - 1)) {
        let frame = tokio::time::timeout(WAIT, client.recv_raw())
            .await
            .unwrap_or_else(|_| panic!("stalled after {:?}", seen.last()));
        seen.push(n(&frame));
    }
    (seen, client)
}
