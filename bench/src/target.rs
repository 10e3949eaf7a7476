//! The server under test, described by URL and frame templates.
//!
//! The load generator knows nothing of any server's internals: a [`Target`] says where to
//! register a window (optional), where to open websockets, how to trigger a broadcast and
//! what a request frame looks like. Presets fill them in for Switchboard, the raw floor and
//! the Django Channels peer; every field can be overridden from the command line, so the
//! same scenarios measure any server that forwards a payload unchanged.
//!
//! Templates use these placeholders:
//! - `{key}`: the window key a registration returned (websocket URL only);
//! - `{seq}`: the trigger's sequence number, `{t}`: its send time in microseconds since the
//!   bench started (trigger bodies and request frames);
//! - `{id}`: the request id (request frames).
//!
//! Received frames are read by markers, not by a JSON parser: a delivery carries
//! `"bench_seq":N` and `"bench_t":T`, a reply carries `"reply_to":` and `"bench_t":T`.

use serde::Serialize;

/// How to register a window before it connects (Switchboard's HTTP API, PROTOCOL.md §6).
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// `POST` URL of the registration endpoint.
    pub url: String,
    /// JSON body of each registration.
    pub body: String,
}

/// Everything the scenarios need to know about one server.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// Name in reports (`switchboard`, `floor`, `channels-memory`, ...).
    pub name: String,
    /// Websocket URL template (`{key}` is replaced when a registration is configured).
    pub ws_url: String,
    /// Registration of each window, when the server has one.
    pub register: Option<Registration>,
    /// `POST` URL that triggers a signal to every window of the benchmark topic.
    pub trigger_url: String,
    /// Body template of a trigger (`{seq}`, `{t}`).
    pub trigger_body: String,
    /// Bearer key sent with registrations and triggers.
    #[serde(skip)]
    pub api_key: Option<String>,
    /// Request frame template (`{signal}`, `{id}`, `{t}`); its reply must echo `"bench_t":T`.
    pub call_frame: String,
    /// Server process id, for RSS readings from /proc.
    pub pid: Option<u32>,
}

/// The topic every benchmark window joins.
pub const TOPIC: &str = "bench";

/// The payload every trigger and request carries, read back by markers.
const PAYLOAD: &str = r#"{"bench_seq":{seq},"bench_t":{t}}"#;

/// A UUID as long as the `signal_id` of Switchboard's frames.
const SIGNAL_ID: &str = "0b7e6a1c-3f51-4d7e-9a55-2f7f0c1d9e42";

/// The request frame of every preset: a call of Switchboard's `demo.echo` or `demo.mirror`
/// (the peers answer any frame with an `id` the same way, with one frame).
const CALL_FRAME: &str = r#"{"signal":"{signal}","opts":{"bench_t":{t}},"id":{id}}"#;

impl Target {
    /// Switchboard at `http://{addr}` with the demo mounted (for `demo.echo`) and `api_key`.
    pub fn switchboard(addr: &str, api_key: &str) -> Self {
        Target {
            name: "switchboard".into(),
            ws_url: format!("ws://{addr}/ws/?dfwskey={{key}}"),
            register: Some(Registration {
                url: format!("http://{addr}/api/v1/windows"),
                body: format!(r#"{{"topics":["{TOPIC}"]}}"#),
            }),
            trigger_url: format!("http://{addr}/api/v1/trigger"),
            trigger_body: format!(
                r#"{{"signal":"bench.tick","opts":{PAYLOAD},"to":[{{"topic":"{TOPIC}"}}]}}"#
            ),
            api_key: Some(api_key.into()),
            call_frame: CALL_FRAME.into(),
            pid: None,
        }
    }

    /// The raw tokio-tungstenite floor (`bench-floor`): websockets on `ws`, triggers on `http`.
    pub fn floor(ws: &str, http: &str) -> Self {
        Target::unregistered(
            "floor",
            format!("ws://{ws}/"),
            format!("http://{http}/broadcast"),
        )
    }

    /// The floor, triggered with bodies that make its frames as long as Switchboard's: the
    /// floor broadcasts a body as is, and Switchboard's frame adds to the same signal a
    /// `signal_id` (a UUID) and, with history, an `offset` (the topic's count of triggers,
    /// which `{seq}` follows within one digit: the readiness triggers come first).
    pub fn floor_same_bytes(ws: &str, http: &str) -> Self {
        Target {
            trigger_body: format!(
                r#"{{"signal":"bench.tick","opts":{PAYLOAD},"signal_id":"{SIGNAL_ID}","offset":{{seq}}}}"#
            ),
            ..Target::floor(ws, http)
        }
    }

    /// The Django Channels peer (`bench/peers/channels`) served by daphne at `addr`.
    pub fn channels(name: &str, addr: &str) -> Self {
        Target::unregistered(
            name,
            format!("ws://{addr}/ws/"),
            format!("http://{addr}/trigger"),
        )
    }

    /// A server without registration or topics: every connection gets every trigger.
    fn unregistered(name: &str, ws_url: String, trigger_url: String) -> Self {
        Target {
            name: name.into(),
            ws_url,
            register: None,
            trigger_url,
            trigger_body: format!(r#"{{"signal":"bench.tick","opts":{PAYLOAD}}}"#),
            api_key: None,
            call_frame: CALL_FRAME.into(),
            pid: None,
        }
    }

    /// The body of trigger `seq` sent at `t` microseconds.
    pub fn trigger(&self, seq: u64, t: u64) -> String {
        fill(&self.trigger_body, &[("{seq}", seq), ("{t}", t)])
    }

    /// Request frame `id` calling `signal`, sent at `t` microseconds.
    pub fn call(&self, signal: &str, id: u64, t: u64) -> String {
        fill(
            &self.call_frame.replace("{signal}", signal),
            &[("{id}", id), ("{t}", t)],
        )
    }

    /// The websocket URL of a window with `key` (or the plain URL without registration).
    pub fn ws_url_for(&self, key: Option<&str>) -> String {
        match key {
            Some(key) => self.ws_url.replace("{key}", key),
            None => self.ws_url.replace("{key}", ""),
        }
    }
}

/// Replaces each placeholder of `template` by its number.
fn fill(template: &str, values: &[(&str, u64)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(name, &value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_with_switchboards_bytes_broadcasts_a_frame_shaped_like_switchboards() {
        // What Switchboard sends for trigger 3 (read off a running server): the same fields
        // in the same order, a UUID as long, and the topic's offset.
        let t = Target::floor_same_bytes("127.0.0.1:1", "127.0.0.1:2");
        assert_eq!(
            t.trigger(3, 99),
            r#"{"signal":"bench.tick","opts":{"bench_seq":3,"bench_t":99},"signal_id":"0b7e6a1c-3f51-4d7e-9a55-2f7f0c1d9e42","offset":3}"#
        );
        assert_eq!(t.trigger_url, "http://127.0.0.1:2/broadcast");
    }

    #[test]
    fn templates_are_filled() {
        let t = Target::switchboard("127.0.0.1:1", "k");
        assert_eq!(
            t.trigger(3, 99),
            r#"{"signal":"bench.tick","opts":{"bench_seq":3,"bench_t":99},"to":[{"topic":"bench"}]}"#
        );
        assert_eq!(
            t.call("demo.echo", 7, 5),
            r#"{"signal":"demo.echo","opts":{"bench_t":5},"id":7}"#
        );
        assert_eq!(t.ws_url_for(Some("K")), "ws://127.0.0.1:1/ws/?dfwskey=K");
    }
}
