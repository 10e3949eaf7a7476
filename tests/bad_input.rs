//! Hostile and malformed input, row by row: every error code of PROTOCOL.md §5 that a browser
//! can provoke over the websocket, and every rejection of the HTTP API (§6). Each row states
//! the exact answer (frame, close code, or HTTP status and body), and after every row the
//! server must still serve: a window connected for the whole test receives a trigger, and the
//! offending connection, when it should stay open, still answers `demo.add`.
//!
//! Every row runs even when an earlier one fails; the test then lists every failing row.

mod common;

use std::time::Duration;

use common::{Client, TestServer, API_KEY, QUIET, WAIT};
use futures_util::{SinkExt, StreamExt};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};
use switchboard::config::Config;
use switchboard::QueueConfig;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The window connected for the whole test, and the counter of its sentinel triggers.
struct Sentinel {
    client: Client,
    sent: u64,
}

impl Sentinel {
    async fn start(server: &TestServer) -> Sentinel {
        let (_key, client) = server.window(&["sentinel"]).await;
        Sentinel { client, sent: 0 }
    }

    /// Triggers to the sentinel's topic through the HTTP API and checks the exact frame.
    async fn still_served(&mut self, server: &TestServer, row: &str) {
        self.sent += 1;
        let opts = json!({ "n": self.sent });
        let id = server
            .trigger(
                json!({"signal": "sentinel.ping", "opts": opts, "to": [{"topic": "sentinel"}]}),
            )
            .await;
        let frame = self.client.signal("sentinel.ping").await;
        assert_eq!(
            frame,
            json!({"signal": "sentinel.ping", "opts": opts, "signal_id": id}),
            "after row `{row}`, the untouched window got the wrong frame"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Websocket rows
// ---------------------------------------------------------------------------------------------

/// What a raw connection saw next.
#[derive(Debug, PartialEq)]
enum Event {
    /// A text frame (parsed as JSON when it is JSON).
    Frame(Value),
    /// A text frame that is not JSON.
    Text(String),
    /// A close frame with this code (1005 when it carried none).
    Close(u16),
    /// Nothing within the wait.
    Silence,
    /// The stream failed or ended without a close frame.
    Broken(String),
}

/// A websocket connection that reports what happens instead of panicking, so a row that
/// fails is recorded and the next rows still run.
struct Conn {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Conn {
    /// An anonymous connection, proven live by a heartbeat round trip.
    async fn open(server: &TestServer) -> Conn {
        let (ws, _) = tokio_tungstenite::connect_async(server.ws_url())
            .await
            .expect("websocket upgrade");
        let mut conn = Conn { ws };
        conn.ws.send(Message::text("--heartbeat--")).await.unwrap();
        assert_eq!(conn.next(WAIT).await, Event::Text("--heartbeat--".into()));
        conn
    }

    async fn send(&mut self, message: Message) -> Result<(), String> {
        self.ws.send(message).await.map_err(|e| e.to_string())
    }

    async fn next(&mut self, wait: Duration) -> Event {
        loop {
            let message = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return Event::Silence,
                Ok(None) => return Event::Broken("stream ended".into()),
                Ok(Some(Err(e))) => return Event::Broken(e.to_string()),
                Ok(Some(Ok(message))) => message,
            };
            return match message {
                // The position of PROTOCOL.md §5.6 comes first on every connection.
                Message::Text(text) if text.starts_with(r#"{"position":"#) => continue,
                Message::Text(text) => match serde_json::from_str(&text) {
                    Ok(value) => Event::Frame(value),
                    Err(_) => Event::Text(text.to_string()),
                },
                Message::Close(Some(frame)) => Event::Close(frame.code.into()),
                Message::Close(None) => Event::Close(1005),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => Event::Broken(format!("unexpected {other:?}")),
            };
        }
    }

    /// Whether the connection still answers a call.
    async fn answers_add(&mut self, id: &str) -> Result<(), String> {
        let call = json!({"signal": "demo.add", "opts": {"a": 1, "b": 2}, "id": id});
        self.send(Message::text(call.to_string())).await?;
        let expected = json!({"reply_to": id, "ok": true, "result": 3});
        match self.next(WAIT).await {
            Event::Frame(frame) if frame == expected => Ok(()),
            other => Err(format!(
                "demo.add afterwards: expected {expected}, got {other:?}"
            )),
        }
    }
}

/// One step of a row.
enum Step {
    Send(Message),
    Pause(Duration),
}

/// What a row must produce.
enum Expect {
    /// Exactly these frames, in order; the connection stays open.
    Frames(Vec<Value>),
    /// Nothing; the connection stays open.
    Silence,
    /// The server closes the connection with this code.
    Close(u16),
}

struct WsRow {
    name: &'static str,
    steps: Vec<Step>,
    expect: Expect,
}

fn text(s: impl Into<String>) -> Vec<Step> {
    vec![Step::Send(Message::text(s.into()))]
}

fn call(v: Value) -> Vec<Step> {
    text(v.to_string())
}

/// A raw frame with any opcode, finality and payload (tungstenite sends it as is, masked).
fn raw(opcode: OpCode, is_final: bool, payload: impl Into<Vec<u8>>) -> Step {
    let header = FrameHeader {
        is_final,
        opcode,
        ..FrameHeader::default()
    };
    Step::Send(Message::Frame(Frame::from_payload(
        header,
        payload.into().into(),
    )))
}

/// The same frame with its first reserved bit set (no extension was negotiated).
fn with_rsv1(step: Step) -> Step {
    match step {
        Step::Send(Message::Frame(mut frame)) => {
            frame.header_mut().rsv1 = true;
            Step::Send(Message::Frame(frame))
        }
        other => other,
    }
}

fn bad_frame(message: &str) -> Expect {
    Expect::Frames(vec![
        json!({"error": {"code": "bad_frame", "message": message}}),
    ])
}

fn reply_ok(id: Value, result: Value) -> Value {
    json!({"reply_to": id, "ok": true, "result": result})
}

fn reply_err(id: Value, code: &str, message: &str) -> Value {
    json!({"reply_to": id, "ok": false, "error": {"code": code, "message": message}})
}

fn fails(id: &str, code: &str, message: &str) -> Expect {
    Expect::Frames(vec![reply_err(json!(id), code, message)])
}

/// `[[[...]]]` nested `depth` times.
fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn ws_rows() -> Vec<WsRow> {
    let row = |name, steps, expect| WsRow {
        name,
        steps,
        expect,
    };
    let add = |opts: &str| format!(r#"{{"signal":"demo.add","opts":{opts},"id":"add"}}"#);
    let bad_name = "`signal` must be dot-separated identifiers of at most 128 bytes";
    let bad_id = "`id` must be a string of 1 to 64 characters or an integer";
    let big_int = "9".repeat(300);
    vec![
        // bad_frame: not a well-formed call.
        row(
            "binary frame",
            vec![Step::Send(Message::binary(vec![0u8, 159, 146, 150]))],
            bad_frame("binary frames are not accepted"),
        ),
        row(
            "empty text frame",
            text(""),
            bad_frame("invalid JSON: EOF while parsing a value at line 1 column 0"),
        ),
        row(
            "invalid JSON",
            text("{not json"),
            bad_frame("invalid JSON: key must be a string at line 1 column 2"),
        ),
        row(
            "trailing garbage after the object",
            text(r#"{"signal":"demo.add"} x"#),
            bad_frame("invalid JSON: trailing characters at line 1 column 23"),
        ),
        row(
            "heartbeat with a space",
            text("--heartbeat-- "),
            bad_frame("invalid JSON: invalid number at line 1 column 2"),
        ),
        row(
            "JSON array",
            text("[1, 2]"),
            bad_frame("a frame must be a JSON object"),
        ),
        row(
            "JSON string",
            text(r#""demo.add""#),
            bad_frame("a frame must be a JSON object"),
        ),
        row(
            "JSON number",
            text("42"),
            bad_frame("a frame must be a JSON object"),
        ),
        row(
            "JSON null",
            text("null"),
            bad_frame("a frame must be a JSON object"),
        ),
        row(
            "missing signal",
            call(json!({"opts": {}, "id": 1})),
            bad_frame("missing `signal`"),
        ),
        row(
            "signal is a number",
            call(json!({"signal": 12, "id": 1})),
            bad_frame("`signal` must be a string"),
        ),
        row(
            "signal is null",
            call(json!({"signal": null, "id": 1})),
            bad_frame("`signal` must be a string"),
        ),
        row(
            "signal with a space",
            call(json!({"signal": "demo add", "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "signal with an empty part",
            call(json!({"signal": "demo..add", "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "signal starting with a digit",
            call(json!({"signal": "1demo", "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "signal with non-ASCII letters",
            call(json!({"signal": "démo.add", "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "empty signal",
            call(json!({"signal": "", "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "signal name of 129 bytes",
            call(json!({"signal": "a".repeat(129), "id": 1})),
            bad_frame(bad_name),
        ),
        row(
            "opts is an array",
            call(json!({"signal": "demo.add", "opts": [1, 2], "id": 1})),
            bad_frame("`opts` must be a JSON object"),
        ),
        row(
            "opts is a string",
            call(json!({"signal": "demo.add", "opts": "a=1", "id": 1})),
            bad_frame("`opts` must be a JSON object"),
        ),
        row(
            "opts is null",
            call(json!({"signal": "demo.add", "opts": null, "id": 1})),
            bad_frame("`opts` must be a JSON object"),
        ),
        row(
            "id is empty",
            call(json!({"signal": "demo.add", "id": ""})),
            bad_frame(bad_id),
        ),
        row(
            "id of 65 characters",
            call(json!({"signal": "demo.add", "id": "x".repeat(65)})),
            bad_frame(bad_id),
        ),
        row(
            "id is a float",
            call(json!({"signal": "demo.add", "id": 1.5})),
            bad_frame(bad_id),
        ),
        row(
            "id is an object",
            call(json!({"signal": "demo.add", "id": {"n": 1}})),
            bad_frame(bad_id),
        ),
        row(
            "id is null",
            call(json!({"signal": "demo.add", "id": null})),
            bad_frame(bad_id),
        ),
        row(
            "id is a boolean",
            call(json!({"signal": "demo.add", "id": true})),
            bad_frame(bad_id),
        ),
        row(
            "opts nested 10,000 deep (serde_json's recursion limit is 128)",
            text(format!(
                r#"{{"signal":"demo.echo","opts":{{"x":{}}},"id":"deep"}}"#,
                nested(10_000)
            )),
            bad_frame("invalid JSON: recursion limit exceeded at line 1 column 160"),
        ),
        row(
            "a number beyond f64 (1e400)",
            text(add(r#"{"a":1e400,"b":1}"#)),
            bad_frame("invalid JSON: number out of range at line 1 column 38"),
        ),
        // Edges that are accepted.
        row(
            "id of 64 characters",
            call(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}, "id": "x".repeat(64)})),
            Expect::Frames(vec![reply_ok(json!("x".repeat(64)), json!(2))]),
        ),
        row(
            "negative integer id",
            call(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}, "id": -7})),
            Expect::Frames(vec![reply_ok(json!(-7), json!(2))]),
        ),
        row(
            "duplicate keys in opts: the last one wins (serde_json)",
            text(r#"{"signal":"demo.add","opts":{"a":1,"a":2,"b":3},"id":"dup"}"#),
            Expect::Frames(vec![reply_ok(json!("dup"), json!(5))]),
        ),
        row(
            "unknown top-level fields are ignored",
            call(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}, "id": "x", "extra": [1]})),
            Expect::Frames(vec![reply_ok(json!("x"), json!(2))]),
        ),
        row(
            "a call in three fragments",
            vec![
                raw(OpCode::Data(Data::Text), false, r#"{"signal":"demo.add","#),
                raw(
                    OpCode::Data(Data::Continue),
                    false,
                    r#""opts":{"a":20,"b":22},"#,
                ),
                raw(OpCode::Data(Data::Continue), true, r#""id":"frag"}"#),
            ],
            Expect::Frames(vec![reply_ok(json!("frag"), json!(42))]),
        ),
        row(
            "a ping with 125 bytes (the largest allowed) is answered, nothing else",
            vec![raw(OpCode::Control(Control::Ping), true, vec![b'p'; 125])],
            Expect::Silence,
        ),
        // unknown_signal: unknown and server-only names are not told apart.
        row(
            "unknown signal",
            call(json!({"signal": "no.such.signal", "id": "u"})),
            fails("u", "unknown_signal", "unknown signal `no.such.signal`"),
        ),
        row(
            "valid name of 128 bytes, unknown",
            call(json!({"signal": "a".repeat(128), "id": "u"})),
            fails(
                "u",
                "unknown_signal",
                &format!("unknown signal `{}`", "a".repeat(128)),
            ),
        ),
        row(
            "server-only signal",
            call(json!({"signal": "test.server_only", "opts": {"topic": "sentinel"}, "id": "s"})),
            fails("s", "unknown_signal", "unknown signal `test.server_only`"),
        ),
        row(
            "unknown signal without id fails silently",
            call(json!({"signal": "no.such.signal"})),
            Expect::Silence,
        ),
        // forbidden
        row(
            "superuser-only signal from an anonymous window",
            call(json!({"signal": "demo.admin", "id": "f"})),
            fails("f", "forbidden", "this window may not call `demo.admin`"),
        ),
        // invalid_arguments
        row(
            "demo.add without b",
            text(add(r#"{"a":1}"#)),
            fails("add", "invalid_arguments", "missing argument `b`"),
        ),
        row(
            "demo.add without opts",
            call(json!({"signal": "demo.add", "id": "add"})),
            fails("add", "invalid_arguments", "missing argument `a`"),
        ),
        row(
            "demo.add with a string",
            text(add(r#"{"a":"1","b":2}"#)),
            fails(
                "add",
                "invalid_arguments",
                "argument `a`: invalid type: string \"1\", expected i64",
            ),
        ),
        row(
            "demo.add with a float",
            text(add(r#"{"a":1,"b":2.5}"#)),
            fails(
                "add",
                "invalid_arguments",
                "argument `b`: invalid type: floating point `2.5`, expected i64",
            ),
        ),
        row(
            "demo.add with null",
            text(add(r#"{"a":null,"b":2}"#)),
            fails(
                "add",
                "invalid_arguments",
                "argument `a`: invalid type: null, expected i64",
            ),
        ),
        row(
            "demo.add with an unexpected argument",
            text(add(r#"{"a":1,"b":2,"c":3}"#)),
            fails("add", "invalid_arguments", "unexpected argument `c`"),
        ),
        row(
            "demo.add with u64::MAX",
            text(add(r#"{"a":18446744073709551615,"b":1}"#)),
            fails(
                "add",
                "invalid_arguments",
                "argument `a`: invalid value: integer `18446744073709551615`, expected i64",
            ),
        ),
        row(
            "demo.add with a 300-digit integer (parsed as a float)",
            text(add(&format!(r#"{{"a":{big_int},"b":1}}"#))),
            fails(
                "add",
                "invalid_arguments",
                "argument `a`: invalid type: floating point `1e+300`, expected i64",
            ),
        ),
        row(
            "demo.add overflowing i64",
            text(add(r#"{"a":9223372036854775807,"b":1}"#)),
            fails(
                "add",
                "invalid_arguments",
                "`a` + `b` overflows a 64-bit integer",
            ),
        ),
        // handler_error: the panic message never leaks.
        row(
            "a handler that panics",
            call(json!({"signal": "test.panic", "id": "p"})),
            fails("p", "handler_error", "internal error"),
        ),
        // timeout
        row(
            "a handler that never finishes",
            call(json!({"signal": "test.hang", "id": "h"})),
            fails("h", "timeout", "`test.hang` did not finish within 200 ms"),
        ),
        // rate_limited: the `slow` queue of this server runs one call and queues none.
        row(
            "a call to a full handler queue",
            vec![
                Step::Send(Message::text(
                    json!({"signal": "demo.slow", "opts": {"ms": 300}, "id": "hold"}).to_string(),
                )),
                Step::Pause(Duration::from_millis(50)),
                Step::Send(Message::text(
                    json!({"signal": "demo.slow", "opts": {"ms": 1}, "id": "full"}).to_string(),
                )),
            ],
            Expect::Frames(vec![
                reply_err(
                    json!("full"),
                    "rate_limited",
                    "the `slow` handler queue is full",
                ),
                reply_ok(json!("hold"), json!("done")),
            ]),
        ),
        // Frames the websocket layer refuses: the connection is closed.
        row(
            "a single text frame over 64 KiB",
            text(format!(
                r#"{{"signal":"demo.echo","opts":{{"x":"{}"}}}}"#,
                "x".repeat(70_000)
            )),
            Expect::Close(1009),
        ),
        row(
            "fragments totalling over 64 KiB",
            vec![
                raw(OpCode::Data(Data::Text), false, vec![b'y'; 40 * 1024]),
                raw(OpCode::Data(Data::Continue), true, vec![b'y'; 40 * 1024]),
            ],
            Expect::Close(1009),
        ),
        row(
            "invalid UTF-8 in a text frame",
            vec![raw(
                OpCode::Data(Data::Text),
                true,
                b"{\"signal\":\"demo.add\",\"id\":\"\xff\xfe\"}".to_vec(),
            )],
            Expect::Close(1007),
        ),
        row(
            "invalid UTF-8 split over fragments",
            vec![
                raw(
                    OpCode::Data(Data::Text),
                    false,
                    b"{\"x\":\"\xe2\x82".to_vec(),
                ),
                raw(OpCode::Data(Data::Continue), true, b"\"}".to_vec()),
            ],
            Expect::Close(1007),
        ),
        row(
            "a text frame with a reserved bit (RSV1) set",
            vec![with_rsv1(raw(
                OpCode::Data(Data::Text),
                true,
                b"{}".to_vec(),
            ))],
            Expect::Close(1002),
        ),
        row(
            "a ping with a 126-byte payload",
            vec![raw(OpCode::Control(Control::Ping), true, vec![b'p'; 126])],
            Expect::Close(1002),
        ),
        row(
            "a reserved data opcode (0x3)",
            vec![raw(OpCode::Data(Data::Reserved(3)), true, b"{}".to_vec())],
            Expect::Close(1002),
        ),
        row(
            "a reserved control opcode (0xB)",
            vec![raw(
                OpCode::Control(Control::Reserved(11)),
                true,
                b"x".to_vec(),
            )],
            Expect::Close(1002),
        ),
        row(
            "a continuation frame with nothing to continue",
            vec![raw(OpCode::Data(Data::Continue), true, b"{}".to_vec())],
            Expect::Close(1002),
        ),
    ]
}

/// The websocket table. The server's `slow` queue runs one call at a time with no backlog, so
/// `rate_limited` can be provoked.
#[tokio::test]
async fn every_bad_frame_gets_its_exact_answer_and_the_server_keeps_serving() {
    let mut config = common::config();
    config.queues.insert(
        "slow".into(),
        QueueConfig {
            concurrency: 1,
            backlog: 0,
        },
    );
    let server = TestServer::start_with(config, |b| b);
    let mut sentinel = Sentinel::start(&server).await;
    let mut conn = Conn::open(&server).await;
    let mut failures = Vec::new();
    for (i, row) in ws_rows().into_iter().enumerate() {
        let mut failure = None;
        for step in row.steps {
            match step {
                Step::Send(message) => {
                    if let Err(e) = conn.send(message).await {
                        failure = Some(format!("cannot send: {e}"));
                        break;
                    }
                }
                Step::Pause(pause) => tokio::time::sleep(pause).await,
            }
        }
        let mut stays_open = true;
        if failure.is_none() {
            failure = match row.expect {
                Expect::Frames(frames) => {
                    let mut failure = None;
                    for expected in frames {
                        let got = conn.next(WAIT).await;
                        if got != Event::Frame(expected.clone()) {
                            failure = Some(format!("expected {expected}, got {got:?}"));
                            break;
                        }
                    }
                    failure
                }
                Expect::Silence => match conn.next(QUIET).await {
                    Event::Silence => None,
                    got => Some(format!("expected silence, got {got:?}")),
                },
                Expect::Close(code) => {
                    stays_open = false;
                    match conn.next(WAIT).await {
                        Event::Close(got) if got == code => None,
                        got => Some(format!("expected close {code}, got {got:?}")),
                    }
                }
            };
        }
        if failure.is_none() && stays_open {
            failure = conn.answers_add(&format!("alive-{i}")).await.err();
        }
        if let Some(failure) = failure {
            failures.push(format!("row `{}`: {failure}", row.name));
            stays_open = false;
        }
        if !stays_open {
            conn = Conn::open(&server).await;
        }
        sentinel.still_served(&server, row.name).await;
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// HTTP API rows
// ---------------------------------------------------------------------------------------------

/// The API body limit of the HTTP table's server.
const BODY_LIMIT: usize = 32 * 1024;

/// The `Authorization` header of a row.
#[derive(Clone, Copy)]
enum Auth {
    /// `Bearer <the right key>`.
    Key,
    /// No header.
    Missing,
    /// This header value.
    Header(&'static str),
}

struct HttpRow {
    name: &'static str,
    method: Method,
    /// `{key}` is replaced by a registered window's key.
    path: &'static str,
    /// `None`: no `Content-Type` header.
    content_type: Option<&'static str>,
    auth: Auth,
    body: String,
    status: u16,
    code: &'static str,
    message: String,
}

fn http_rows() -> Vec<HttpRow> {
    use Method as M;
    const JSON: Option<&str> = Some("application/json");
    let post = |name, path, body: &str, status, code, message: &str| HttpRow {
        name,
        method: M::POST,
        path,
        content_type: JSON,
        auth: Auth::Key,
        body: body.to_owned(),
        status,
        code,
        message: message.to_owned(),
    };
    let bad =
        |name, path, body: &str, message: &str| post(name, path, body, 400, "bad_request", message);
    let windows = "/api/v1/windows";
    let topics = "/api/v1/windows/{key}/topics";
    let trigger = "/api/v1/trigger";
    let long_topic = "t".repeat(201);
    let unauthorized = "missing or wrong API key (Authorization: Bearer <key>)";
    let with_auth = |name, auth| HttpRow {
        auth,
        ..post(name, windows, "{}", 401, "unauthorized", unauthorized)
    };
    let method = |name, method: Method, path| HttpRow {
        method: method.clone(),
        body: String::new(),
        content_type: None,
        ..post(
            name,
            path,
            "",
            405,
            "method_not_allowed",
            &format!("{method} is not allowed here"),
        )
    };
    vec![
        // 405 / 404: routing.
        method("GET on POST /windows", M::GET, windows),
        method("GET on POST /trigger", M::GET, trigger),
        method("PUT on POST /windows/{key}/topics", M::PUT, topics),
        method("POST on DELETE /windows/{key}", M::POST, "/api/v1/windows/{key}"),
        post(
            "unknown API path",
            "/api/v1/nope",
            "{}",
            404,
            "not_found",
            "no API call at /api/v1/nope",
        ),
        // 415: not JSON.
        HttpRow {
            content_type: Some("text/plain"),
            ..post(
                "text/plain body",
                windows,
                "{}",
                415,
                "unsupported_media_type",
                "the body must be application/json",
            )
        },
        HttpRow {
            content_type: Some("application/x-www-form-urlencoded"),
            ..post(
                "form body",
                trigger,
                "signal=a&to=broadcast",
                415,
                "unsupported_media_type",
                "the body must be application/json",
            )
        },
        // 401: the key is checked first, whatever the body.
        with_auth("no Authorization header", Auth::Missing),
        with_auth("wrong key", Auth::Header("Bearer not-the-right-key-at-all")),
        with_auth("key with one character more", Auth::Header("Bearer test-api-key-0123456789abcdefX")),
        with_auth("right key, Basic scheme", Auth::Header("Basic test-api-key-0123456789abcdef")),
        with_auth("Bearer without a key", Auth::Header("Bearer")),
        with_auth("right key without a scheme", Auth::Header("test-api-key-0123456789abcdef")),
        HttpRow {
            auth: Auth::Missing,
            content_type: Some("text/plain"),
            ..post("no key and not JSON", windows, "x", 401, "unauthorized", unauthorized)
        },
        // 413
        post(
            "body over max_api_body_bytes",
            trigger,
            &format!(
                r#"{{"signal":"a","to":["broadcast"],"opts":{{"x":"{}"}}}}"#,
                "x".repeat(BODY_LIMIT)
            ),
            413,
            "payload_too_large",
            &format!("the body exceeds {BODY_LIMIT} bytes"),
        ),
        // 400: malformed JSON.
        bad("empty body", windows, "", "invalid body: expected a JSON object"),
        bad("not JSON", windows, "nope", "invalid body: expected a JSON object"),
        bad("truncated JSON", windows, r#"{"ttl": 5"#, "invalid body: EOF while parsing an object at line 1 column 9"),
        bad("JSON null", trigger, "null", "invalid body: expected a JSON object"),
        bad("JSON array body", windows, "[]", "invalid body: expected a JSON object"),
        bad(
            "array read by position",
            trigger,
            r#"["demo.x", {"a": 1}, ["broadcast"]]"#,
            "invalid body: expected a JSON object",
        ),
        bad("trailing data", windows, r#"{"ttl": 5} trailing"#, "invalid body: trailing characters at line 1 column 12"),
        bad(
            "a second object",
            trigger,
            r#"{"signal":"a","to":["broadcast"]}{"x":"#,
            "invalid body: trailing characters at line 1 column 34",
        ),
        bad(
            "opts nested 10,000 deep",
            trigger,
            &format!(r#"{{"signal":"a","to":["broadcast"],"opts":{{"x":{}}}}}"#, nested(10_000)),
            "`opts.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]`: recursion limit exceeded at line 1 column 171",
        ),
        // 400: unknown fields.
        bad("unknown field in a registration", windows, r#"{"bogus": 1}"#, "`bogus`: unknown field `bogus`, expected one of `user`, `session`, `language`, `topics`, `ttl`, `extra` at line 1 column 8"),
        bad("unknown field in user", windows, r#"{"user": {"id": "1", "admin": true}}"#, "`user.admin`: unknown field `admin`, expected one of `id`, `username`, `is_staff`, `is_superuser`, `perms` at line 1 column 28"),
        bad("unknown field in a topic change", topics, r#"{"add": [], "replace": []}"#, "`replace`: unknown field `replace`, expected `add` or `remove` at line 1 column 21"),
        bad("unknown field in a trigger", trigger, r#"{"signal": "a", "to": ["broadcast"], "delay": 5}"#, "`delay`: unknown field `delay`, expected one of `signal`, `opts`, `to`, `signal_id` at line 1 column 44"),
        // 400: each field of a registration with a wrong type or value.
        bad("user is a number", windows, r#"{"user": 5}"#, "`user`: invalid type: integer `5`, expected struct User at line 1 column 10"),
        bad("user.id is a number", windows, r#"{"user": {"id": 5}}"#, "`user.id`: invalid type: integer `5`, expected a string at line 1 column 17"),
        bad("user without id", windows, r#"{"user": {"username": "a"}}"#, "`user`: missing field `id` at line 1 column 26"),
        bad("user.id is empty", windows, r#"{"user": {"id": ""}}"#, "`user.id`: must not be empty"),
        bad("user.username is a number", windows, r#"{"user": {"id": "1", "username": 1}}"#, "`user.username`: invalid type: integer `1`, expected a string at line 1 column 34"),
        bad("user.is_staff is a string", windows, r#"{"user": {"id": "1", "is_staff": "yes"}}"#, "`user.is_staff`: invalid type: string \"yes\", expected a boolean at line 1 column 38"),
        bad("user.is_superuser is a number", windows, r#"{"user": {"id": "1", "is_superuser": 1}}"#, "`user.is_superuser`: invalid type: integer `1`, expected a boolean at line 1 column 38"),
        bad("user.perms is a string", windows, r#"{"user": {"id": "1", "perms": "blog.change"}}"#, "`user.perms`: invalid type: string \"blog.change\", expected a sequence at line 1 column 43"),
        bad("user.perms[1] is a number", windows, r#"{"user": {"id": "1", "perms": ["a.b", 2]}}"#, "`user.perms[1]`: invalid type: integer `2`, expected a string at line 1 column 39"),
        bad("session is a number", windows, r#"{"session": 1}"#, "`session`: invalid type: integer `1`, expected a string at line 1 column 13"),
        bad("session is empty", windows, r#"{"session": ""}"#, "`session`: must not be empty"),
        bad("language is an array", windows, r#"{"language": []}"#, "`language`: invalid type: sequence, expected a string at line 1 column 13"),
        bad("topics is a string", windows, r#"{"topics": "room"}"#, "`topics`: invalid type: string \"room\", expected a sequence at line 1 column 17"),
        bad("topics[1] is a number", windows, r#"{"topics": ["a", 7]}"#, "`topics[1]`: invalid type: integer `7`, expected a string at line 1 column 18"),
        bad("topics[0] of 201 bytes", windows, &format!(r#"{{"topics": ["{long_topic}"]}}"#), "`topics[0]`: a topic name is at most 200 bytes"),
        bad("topics[0] is empty", windows, r#"{"topics": [""]}"#, "`topics[0]`: a topic name cannot be empty"),
        bad("topics[0] is reserved", windows, r#"{"topics": ["-broadcast"]}"#, "`topics[0]`: topic names starting with `-` are reserved"),
        bad("topics[0] has a control character", windows, r#"{"topics": ["a\nb"]}"#, "`topics[0]`: a topic name cannot contain control characters"),
        bad("ttl is a string", windows, r#"{"ttl": "60"}"#, "`ttl`: invalid type: string \"60\", expected u64 at line 1 column 12"),
        bad("ttl is negative", windows, r#"{"ttl": -1}"#, "`ttl`: invalid value: integer `-1`, expected u64 at line 1 column 10"),
        bad("ttl is a float", windows, r#"{"ttl": 1.5}"#, "`ttl`: invalid type: floating point `1.5`, expected u64 at line 1 column 11"),
        bad("ttl is zero", windows, r#"{"ttl": 0}"#, "`ttl`: must be at least 1 second"),
        bad("ttl over 30 days", windows, r#"{"ttl": 2592001}"#, "`ttl`: at most 2592000 seconds"),
        // 400: topic changes.
        bad("add is a string", topics, r#"{"add": "room"}"#, "`add`: invalid type: string \"room\", expected a sequence at line 1 column 14"),
        bad("remove[0] is a number", topics, r#"{"remove": [1]}"#, "`remove[0]`: invalid type: integer `1`, expected a string at line 1 column 13"),
        bad("add[0] of 201 bytes", topics, &format!(r#"{{"add": ["{long_topic}"]}}"#), "`add[0]`: a topic name is at most 200 bytes"),
        bad("remove[0] is reserved", topics, r#"{"remove": ["-user.1"]}"#, "`remove[0]`: topic names starting with `-` are reserved"),
        // 400: triggers.
        bad("signal missing", trigger, r#"{"to": ["broadcast"]}"#, "invalid body: missing field `signal` at line 1 column 21"),
        bad("signal is a number", trigger, r#"{"signal": 1, "to": ["broadcast"]}"#, "`signal`: invalid type: integer `1`, expected a string at line 1 column 12"),
        bad("signal is not a valid name", trigger, r#"{"signal": "a b", "to": ["broadcast"]}"#, "invalid signal name `a b`"),
        bad("opts is an array", trigger, r#"{"signal": "a", "opts": [], "to": ["broadcast"]}"#, "`opts`: invalid type: sequence, expected a map at line 1 column 24"),
        bad("opts is a string", trigger, r#"{"signal": "a", "opts": "x", "to": ["broadcast"]}"#, "`opts`: invalid type: string \"x\", expected a map at line 1 column 27"),
        bad("to missing", trigger, r#"{"signal": "a"}"#, "invalid body: missing field `to` at line 1 column 15"),
        bad("to is a string", trigger, r#"{"signal": "a", "to": "broadcast"}"#, "`to`: invalid type: string \"broadcast\", expected a sequence at line 1 column 33"),
        bad("to is empty", trigger, r#"{"signal": "a", "to": []}"#, "`to`: at least one destination is required"),
        bad("to[0] is a number", trigger, r#"{"signal": "a", "to": [5]}"#, "`to[0]`: expected \"broadcast\", \"server\" or one of {\"topic\"|\"window\"|\"user\"|\"session\": ...}"),
        bad("to[0] is an unknown word", trigger, r#"{"signal": "a", "to": ["everyone"]}"#, "`to[0]`: expected \"broadcast\", \"server\" or one of {\"topic\"|\"window\"|\"user\"|\"session\": ...}"),
        bad("to[1] names an unknown destination", trigger, r#"{"signal": "a", "to": ["broadcast", {"planet": "x"}]}"#, "`to[1]`: unknown destination `planet`"),
        bad("to[0] has two keys", trigger, r#"{"signal": "a", "to": [{"topic": "a", "user": "1"}]}"#, "`to[0]`: expected \"broadcast\", \"server\" or one of {\"topic\"|\"window\"|\"user\"|\"session\": ...}"),
        bad("to[0].topic is empty", trigger, r#"{"signal": "a", "to": [{"topic": ""}]}"#, "`to[0]`: `topic` needs a non-empty string"),
        bad("to[0].topic is a number", trigger, r#"{"signal": "a", "to": [{"topic": 1}]}"#, "`to[0]`: `topic` needs a non-empty string"),
        bad("to[0].topic of 201 bytes", trigger, &format!(r#"{{"signal": "a", "to": [{{"topic": "{long_topic}"}}]}}"#), "`to[0]`: a topic name is at most 200 bytes"),
        bad("to[0].topic is reserved", trigger, r#"{"signal": "a", "to": [{"topic": "-broadcast"}]}"#, "`to[0]`: topic names starting with `-` are reserved"),
        bad("to[0].window is malformed", trigger, r#"{"signal": "a", "to": [{"window": "KEY"}]}"#, "`to[0]`: a window key is 32 characters of [a-z0-9]"),
        bad("to[0].session is null", trigger, r#"{"signal": "a", "to": [{"session": null}]}"#, "`to[0]`: `session` needs a non-empty string"),
        // 404: window keys in the path.
        post("malformed key in a topic change", "/api/v1/windows/NOT-A-KEY/topics", r#"{"add": ["a"]}"#, 404, "not_found", "unknown or expired window"),
        post("unknown key in a topic change", "/api/v1/windows/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/topics", r#"{"add": ["a"]}"#, 404, "not_found", "unknown or expired window"),
        HttpRow {
            method: M::DELETE,
            content_type: None,
            ..post("malformed key in a deletion", "/api/v1/windows/short", "", 404, "not_found", "unknown or expired window")
        },
        HttpRow {
            method: M::DELETE,
            content_type: None,
            ..post("upper-case key in a deletion", "/api/v1/windows/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 404, "not_found", "unknown or expired window")
        },
        HttpRow {
            method: M::DELETE,
            content_type: None,
            ..post("unknown key in a deletion", "/api/v1/windows/0123456789abcdefghijklmnopqrstuv", "", 404, "not_found", "unknown or expired window")
        },
    ]
}

/// The HTTP table. `max_api_body_bytes` is 32 KiB so 413 is cheap to provoke.
#[tokio::test]
async fn every_bad_api_request_gets_its_exact_answer_and_the_server_keeps_serving() {
    let config = Config {
        max_api_body_bytes: BODY_LIMIT,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let mut sentinel = Sentinel::start(&server).await;
    let target = server.register(json!({"topics": ["target"]})).await;
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for row in http_rows() {
        let path = row.path.replace("{key}", &target);
        let mut request = http.request(row.method.clone(), server.url(&path));
        request = match row.auth {
            Auth::Key => request.bearer_auth(API_KEY),
            Auth::Missing => request,
            Auth::Header(value) => request.header(AUTHORIZATION, value),
        };
        if let Some(content_type) = row.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let response = request.body(row.body.clone()).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let expected = json!({"error": {"code": row.code, "message": row.message}});
        let got: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status != row.status || got != expected {
            failures.push(format!(
                "row `{}`: expected {} {expected}, got {status} {got}",
                row.name, row.status
            ));
        }
        sentinel.still_served(&server, row.name).await;
    }
    // Nothing above changed the target window: it is still registered with its one topic.
    let (status, body) = {
        let response = server
            .api(Method::POST, &format!("/api/v1/windows/{target}/topics"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!((status, body), (200, json!({"topics": ["target"]})));
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// RFC 6455 §5.1: a client frame without a mask is a protocol error, closed with 1002.
/// tungstenite always masks, so this connection is written byte by byte.
#[tokio::test]
async fn an_unmasked_client_frame_closes_with_1002() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start();
    let (mut tcp, head, mut received) =
        common::raw::upgrade(server.addr, common::raw::handshake("/ws/").as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // FIN + text, no mask bit, two bytes of payload.
    tcp.write_all(&[0x81, 0x02, b'{', b'}']).await.unwrap();
    // Server frames are unmasked with short payloads here: opcode, length, payload.
    loop {
        while received.len() >= 2 && received.len() >= 2 + usize::from(received[1] & 0x7f) {
            let (opcode, len) = (received[0] & 0x0f, usize::from(received[1] & 0x7f));
            if opcode == 0x8 {
                assert!(len >= 2, "a close frame with a code");
                let code = u16::from_be_bytes([received[2], received[3]]);
                assert_eq!(code, 1002, "{:?}", &received[..2 + len]);
                return;
            }
            received.drain(..2 + len);
        }
        common::raw::read_more(&mut tcp, &mut received).await;
    }
}

/// A server built as a library, with options `switchboard serve` would refuse, does not start
/// (it would otherwise ping without pause, or close every window at once): `start` names the
/// option, as the binary does.
#[test]
fn a_server_started_from_code_refuses_an_invalid_configuration() {
    type BreakIt = fn(&mut Config);
    let cases: [(&str, BreakIt); 3] = [
        ("ping_interval_secs", |c| c.ping_interval_secs = 0),
        ("ws_path", |c| c.ws_path = "ws".into()),
        ("outbound_queue", |c| c.outbound_queue = 0),
    ];
    for (option, break_it) in cases {
        let mut config = common::config();
        break_it(&mut config);
        let router = switchboard::SignalRouter::builder()
            .build()
            .expect("no handlers");
        let error = actix_web::rt::System::new()
            .block_on(async move { switchboard::Server::new(config, router).start().err() })
            .expect("an invalid configuration is refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(option), "{option}: {error}");
    }
}
