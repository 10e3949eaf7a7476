//! PROTOCOL.md §3–§4: connecting, heartbeats, and every malformed frame.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn heartbeat_is_echoed_verbatim() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    for _ in 0..3 {
        client.send_text("--heartbeat--").await;
        assert_eq!(client.recv_text().await, "--heartbeat--");
    }
}

/// Each malformed frame gets exactly one `bad_frame` error naming the problem, and the
/// connection keeps working.
#[tokio::test]
async fn malformed_frames_get_bad_frame_and_the_connection_stays_open() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let cases: [(Message, &str); 9] = [
        (Message::binary(vec![1u8, 2, 3]), "binary frames"),
        (Message::text("{not json"), "invalid JSON"),
        (Message::text("[1, 2]"), "JSON object"),
        (Message::text("\"signal\""), "JSON object"),
        (Message::text(r#"{"opts": {}}"#), "missing `signal`"),
        (
            Message::text(r#"{"signal": "no spaces allowed"}"#),
            "`signal`",
        ),
        (
            Message::text(r#"{"signal": 12}"#),
            "`signal` must be a string",
        ),
        (
            Message::text(r#"{"signal": "demo.echo", "opts": [1]}"#),
            "`opts`",
        ),
        (
            Message::text(r#"{"signal": "demo.echo", "id": {"x": 1}}"#),
            "`id`",
        ),
    ];
    for (frame, expected) in cases {
        let shown = format!("{frame:?}");
        client.send(frame).await;
        let answer = client.recv().await;
        assert_eq!(
            answer["error"]["code"],
            json!("bad_frame"),
            "{shown}: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{shown}: {message}");
        assert_eq!(
            answer.as_object().unwrap().len(),
            1,
            "only `error`: {answer}"
        );
    }
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 2})).await,
        json!(3)
    );
}

#[tokio::test]
async fn a_signal_name_longer_than_128_bytes_is_a_bad_frame() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let name = "a".repeat(129);
    client.send_json(json!({"signal": name, "id": 1})).await;
    assert_eq!(client.recv().await["error"]["code"], json!("bad_frame"));
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let text = format!(
        r#"{{"signal":"demo.echo","opts":{{"x":"{}"}}}}"#,
        "x".repeat(70_000)
    );
    client.send_text(&text).await;
    assert_eq!(client.closed().await, CloseCode::Size);
    // The server keeps serving others. (Wait for the closed one to leave the registry first:
    // `connect` waits for the count of connections to rise above what it was.)
    server.wait_connections(0).await;
    let mut other = Client::connect(&server, None).await;
    assert_eq!(
        other.ok("demo.add", json!({"a": 2, "b": 2})).await,
        json!(4)
    );
}

#[tokio::test]
async fn fragments_are_reassembled_and_their_total_is_bounded() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let frame = |opcode: OpCode, is_final: bool, payload: &str| {
        Message::Frame(Frame::from_payload(
            FrameHeader {
                is_final,
                opcode,
                ..FrameHeader::default()
            },
            payload.as_bytes().to_vec().into(),
        ))
    };
    client
        .send(frame(
            OpCode::Data(Data::Text),
            false,
            r#"{"signal":"demo.add","#,
        ))
        .await;
    client
        .send(frame(
            OpCode::Data(Data::Continue),
            false,
            r#""opts":{"a":20,"b":22},"#,
        ))
        .await;
    client
        .send(frame(OpCode::Data(Data::Continue), true, r#""id":"frag"}"#))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply, json!({"reply_to": "frag", "ok": true, "result": 42}));
    // 40 KiB + 40 KiB in fragments exceeds the 64 KiB message limit.
    let chunk = "y".repeat(40 * 1024);
    client
        .send(frame(OpCode::Data(Data::Text), false, &chunk))
        .await;
    client
        .send(frame(OpCode::Data(Data::Continue), true, &chunk))
        .await;
    assert_eq!(client.closed().await, CloseCode::Size);
}

#[tokio::test]
async fn an_unknown_key_connects_as_an_anonymous_window_with_no_topics() {
    let server = TestServer::start();
    let unknown = "a".repeat(32);
    let mut client = Client::connect(&server, Some(&unknown)).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami, json!({"anonymous": true, "user": null}));
    server
        .trigger(json!({"signal": "x.y", "to": ["broadcast"]}))
        .await;
    let to_key = json!({"signal": "x.y", "to": [{"window": unknown}]});
    server.trigger(to_key).await;
    client.expect_silence().await;
    // A malformed key and no key at all behave the same.
    for url in [format!("{}?dfwskey=BAD", server.ws_url()), server.ws_url()] {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut client = Client::from_stream(ws);
        assert_eq!(
            client.ok("demo.whoami", json!({})).await["anonymous"],
            json!(true)
        );
    }
}

#[tokio::test]
async fn several_connections_may_present_one_key() {
    let server = TestServer::start();
    let (key, mut first) = server.window(&[]).await;
    let mut second = Client::connect(&server, Some(&key)).await;
    server
        .trigger(json!({"signal": "both.get", "to": [{"window": key}]}))
        .await;
    let a: Value = first.signal("both.get").await;
    let b: Value = second.signal("both.get").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn refuse_unknown_windows_answers_403_before_upgrading() {
    let config = switchboard::config::Config {
        refuse_unknown_windows: true,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let error = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .unwrap_err();
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected HTTP 403, got {other:?}"),
    }
    let (_key, mut client) = server.window(&[]).await;
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 1})).await,
        json!(2)
    );
}

/// The status of an upgrade of `server` with `origin` (101 when it switched).
async fn upgrade_with_origin(server: &TestServer, origin: Option<&str>) -> u16 {
    common::upgrade_status(&server.ws_url(), origin).await
}

/// Without `allowed_origins` (the default) only pages of the server's own host and port may
/// open a websocket; clients that send no `Origin` (not browsers) may too.
#[tokio::test]
async fn only_same_origin_pages_connect_by_default() {
    let server = TestServer::start();
    let port = server.addr.port();
    let cases = [
        (Some(format!("http://127.0.0.1:{port}")), 101),
        (Some(format!("http://127.0.0.1:{}", port + 1)), 403),
        (Some("https://evil.example".to_owned()), 403),
        (Some("null".to_owned()), 403),
        (None, 101),
    ];
    for (origin, status) in cases {
        assert_eq!(
            upgrade_with_origin(&server, origin.as_deref()).await,
            status,
            "{origin:?}"
        );
    }
    let star = switchboard::config::Config {
        allowed_origins: vec!["*".into()],
        ..common::config()
    };
    let server = TestServer::start_with(star, |b| b);
    assert_eq!(
        upgrade_with_origin(&server, Some("https://evil.example")).await,
        101,
        "`*` allows any origin"
    );
}

#[tokio::test]
async fn origins_outside_the_allow_list_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let config = switchboard::config::Config {
        allowed_origins: vec!["https://good.example".into()],
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let request = |origin: &str| {
        let mut request = server.ws_url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
        request
    };
    match tokio_tungstenite::connect_async(request("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected HTTP 403, got {other:?}"),
    }
    assert!(
        tokio_tungstenite::connect_async(request("https://good.example"))
            .await
            .is_ok()
    );
}
