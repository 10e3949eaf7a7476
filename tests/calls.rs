//! PROTOCOL.md §4–§5: calls from browsers to server handlers, replies and error codes.

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use serde_json::json;

#[tokio::test]
async fn a_call_with_an_id_gets_exactly_one_reply_echoing_the_id() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 2, "b": 3}, "id": 7}))
        .await;
    assert_eq!(
        client.recv().await,
        json!({"reply_to": 7, "ok": true, "result": 5})
    );
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}, "id": "x-1"}))
        .await;
    assert_eq!(
        client.recv().await,
        json!({"reply_to": "x-1", "ok": true, "result": 2})
    );
    client.expect_silence().await;
}

#[tokio::test]
async fn a_call_without_an_id_gets_no_answer_even_when_it_fails() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 2}}))
        .await;
    client.send_json(json!({"signal": "nobody.home"})).await;
    client.send_json(json!({"signal": "demo.admin"})).await;
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": "x"}}))
        .await;
    client.expect_silence().await;
}

#[tokio::test]
async fn echo_replies_with_its_options_and_signals_the_calling_window() {
    let server = TestServer::start();
    let (_key, mut client) = server.window(&[]).await;
    let opts = json!({"text": "hello", "n": [1, 2]});
    let reply = client.request("demo.echo", opts.clone()).await;
    assert_eq!(reply["result"], opts);
    let signal = client.signal("demo.echo").await;
    assert_eq!(signal["opts"], opts);
    assert!(signal["signal_id"].as_str().unwrap().len() == 36);
}

#[tokio::test]
async fn mirror_replies_with_its_options_and_nothing_else() {
    let server = TestServer::start();
    let (_key, mut client) = server.window(&[]).await;
    let opts = json!({"bench_t": 12, "n": [1, 2]});
    let reply = client.request("demo.mirror", opts.clone()).await;
    assert_eq!(reply["result"], opts);
    client.expect_silence().await;
}

#[tokio::test]
async fn a_call_that_waits_does_not_hold_back_the_calls_after_it() {
    // The first call waits (a task of its own); the second finishes at once, on the
    // connection's turn, and its reply comes first.
    let server = TestServer::start();
    let (_key, mut client) = server.window(&[]).await;
    client
        .send_json(json!({"signal": "demo.slow", "opts": {"ms": 300}, "id": "slow"}))
        .await;
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 2}, "id": "quick"}))
        .await;
    let first = client.recv().await;
    assert_eq!(
        (&first["reply_to"], &first["result"]),
        (&json!("quick"), &json!(3))
    );
    let second = client.recv().await;
    assert_eq!(second["reply_to"], json!("slow"));
    assert_eq!(second["ok"], json!(true));
}

#[tokio::test]
async fn unknown_and_server_only_signals_are_indistinguishable() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let (code, message) = client.err("nobody.home", json!({})).await;
    assert_eq!(code, "unknown_signal");
    assert_eq!(message, "unknown signal `nobody.home`");
    let (code, message) = client.err("test.server_only", json!({"topic": "t"})).await;
    assert_eq!(code, "unknown_signal");
    assert_eq!(message, "unknown signal `test.server_only`");
}

#[tokio::test]
async fn permissions_give_forbidden() {
    let server = TestServer::start();
    let mut anonymous = Client::connect(&server, None).await;
    assert_eq!(anonymous.err("demo.admin", json!({})).await.0, "forbidden");
    assert_eq!(
        anonymous.err("demo.notifications", json!({})).await.0,
        "forbidden"
    );
    let key = server
        .register(json!({"user": {"id": "1", "username": "root", "is_superuser": true}}))
        .await;
    let mut root = Client::connect(&server, Some(&key)).await;
    assert_eq!(root.ok("demo.admin", json!({})).await, json!("ok"));
    let whoami = root.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["anonymous"], json!(false));
    assert_eq!(whoami["user"]["username"], json!("root"));
}

#[tokio::test]
async fn invalid_arguments_name_the_argument() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let cases = [
        (json!({"a": "x", "b": 1}), "argument `a`"),
        (json!({"a": 1}), "missing argument `b`"),
        (json!({"a": 1.5, "b": 1}), "argument `a`"),
        (json!({"a": 1, "b": 2, "c": 3}), "unexpected argument `c`"),
        (json!({"a": i64::MAX, "b": 1}), "overflows"),
    ];
    for (opts, expected) in cases {
        let (code, message) = client.err("demo.add", opts.clone()).await;
        assert_eq!(code, "invalid_arguments", "{opts}");
        assert!(message.contains(expected), "{opts}: {message}");
    }
}

#[tokio::test]
async fn a_panicking_handler_gives_handler_error_and_everything_keeps_running() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    for _ in 0..3 {
        let (code, message) = client.err("test.panic", json!({})).await;
        assert_eq!(code, "handler_error");
        assert_eq!(message, "internal error", "internals never leak");
    }
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 1})).await,
        json!(2)
    );
    let mut other = Client::connect(&server, None).await;
    assert_eq!(
        other.ok("demo.add", json!({"a": 2, "b": 1})).await,
        json!(3)
    );
}

#[tokio::test]
async fn a_handler_past_its_time_limit_gives_timeout() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let (code, message) = client.err("test.hang", json!({})).await;
    assert_eq!(code, "timeout");
    assert!(message.contains("200 ms"), "{message}");
    // The router-wide limit (2 s in tests) applies to handlers that declare none.
    let (code, _) = client.err("demo.slow", json!({"ms": 3000})).await;
    assert_eq!(code, "timeout");
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 1})).await,
        json!(2)
    );
}

/// The `slow` queue (concurrency 2 in tests) is saturated; a `default` call still answers
/// first, and the slow calls all complete.
#[tokio::test]
async fn a_busy_slow_queue_never_delays_the_default_queue() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    for i in 0..5 {
        client
            .send_json(
                json!({"signal": "demo.slow", "opts": {"ms": 600}, "id": format!("slow{i}")}),
            )
            .await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}, "id": "fast"}))
        .await;
    let first = client.recv().await;
    assert_eq!(
        first["reply_to"],
        json!("fast"),
        "the default queue answered first: {first}"
    );
    for _ in 0..5 {
        let reply = client.recv().await;
        assert_eq!(reply["result"], json!("done"), "{reply}");
    }
}

#[tokio::test]
async fn calls_are_counted_in_metrics() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    client.err("nobody.home", json!({})).await;
    client.ok("demo.add", json!({"a": 1, "b": 1})).await;
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("switchboard_signals_in_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("switchboard_errors_total{code=\"unknown_signal\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("switchboard_handler_duration_seconds_count{signal=\"demo.add\"} 1"));
    assert!(
        metrics.contains("switchboard_windows_connected 1"),
        "{metrics}"
    );
}

/// A topic name from the browser's options that breaks the rules is the browser's mistake:
/// `invalid_arguments` naming the topic (not `handler_error` "internal error").
#[tokio::test]
async fn a_bad_topic_from_the_browser_is_invalid_arguments() {
    let server = TestServer::start();
    let (_key, mut client) = server.window(&[]).await;
    let reply = client
        .request("test.burst", json!({"topic": "-reserved", "count": 1}))
        .await;
    assert_eq!(reply["ok"], json!(false), "{reply}");
    assert_eq!(
        reply["error"]["code"],
        json!("invalid_arguments"),
        "{reply}"
    );
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(message.contains("`-reserved`"), "{message}");
}
