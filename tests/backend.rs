//! Signals handled by the web application's backend (PROTOCOL.md §10), against a real HTTP
//! backend on port 0: browser calls and server triggers forwarded with the window's
//! identity, every error the backend reports passed on, queues that keep a slow handler from
//! holding up others, and a backend that is down, slow or broken never taking the node down.
//! Also the registration under a backend's own key (`PUT /api/v1/windows/{key}`) and the
//! backend's own `signal_id` on triggers.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::{Client, TestServer};
use serde_json::{json, Value};
use switchboard::QueueConfig;

/// The shared secret between the node and the backend.
const BACKEND_KEY: &str = "backend-secret-0123456789";

/// How long the `b.slow` handler takes.
const SLOW: Duration = Duration::from_millis(1500);

/// What the backend received, for the assertions.
#[derive(Default)]
struct Received {
    /// Every call body, in arrival order.
    calls: Vec<Value>,
    /// Manifest reads.
    manifests: usize,
    /// `b.tiny` calls running now, and the most that ever ran at once.
    tiny: (usize, usize),
}

/// A backend in a thread of its own, with these signals:
///
/// | signal | queue | answer |
/// |---|---|---|
/// | `b.echo` | `default` | `{"ok": true, "result": opts}` |
/// | `b.refuse` | `default` | `forbidden` |
/// | `b.args` | `default` | `invalid_arguments` |
/// | `b.raise` | `default` | `handler_error` |
/// | `b.http500` | `default` | HTTP 500 |
/// | `b.slow` | `slow` | ok after [`SLOW`] |
/// | `b.fast` | `fast` | ok |
/// | `b.tiny` | `tiny` (concurrency 1, as the backend lists it) | ok after 200 ms |
/// | `b.server` | `default`, server triggers only | ok |
/// | `b.tell` | `default` | ok, with triggers to the caller and to a topic, and one refused |
/// | `b.tell_fail` | `default` | `handler_error`, with a trigger to the caller |
/// | `b.huge` | `default` | ok, a result of 5 MiB |
struct Backend {
    addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    system: actix_web::rt::System,
}

async fn manifest(req: HttpRequest, received: web::Data<Arc<Mutex<Received>>>) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    received.lock().unwrap().manifests += 1;
    HttpResponse::Ok().json(json!({"signals": {
        "b.echo": {"queues": ["default"]}, "b.refuse": {"queues": ["default"]},
        "b.args": {"queues": ["default"]}, "b.raise": {"queues": ["default"]},
        "b.http500": {"queues": ["default"]}, "b.slow": {"queues": ["slow"]},
        "b.fast": {"queues": ["fast"]}, "b.tiny": {"queues": ["tiny"]},
        "b.server": {"queues": ["default"], "browser": false},
        "b.tell": {"queues": ["default"]}, "b.tell_fail": {"queues": ["default"]},
        "b.huge": {"queues": ["default"]},
    }, "queues": {"tiny": {"concurrency": 1}}}))
}

fn authorized(req: &HttpRequest) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {BACKEND_KEY}"))
}

async fn call(
    req: HttpRequest,
    body: web::Json<Value>,
    received: web::Data<Arc<Mutex<Received>>>,
) -> HttpResponse {
    if !authorized(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let body = body.into_inner();
    received.lock().unwrap().calls.push(body.clone());
    let error = |code: &str, message: &str| {
        HttpResponse::Ok().json(json!({"ok": false, "error": {"code": code, "message": message}}))
    };
    match body["signal"].as_str().unwrap_or_default() {
        "b.echo" => HttpResponse::Ok().json(json!({"ok": true, "result": body["opts"]})),
        "b.refuse" => error("forbidden", "staff only"),
        "b.args" => error("invalid_arguments", "`n`: an integer"),
        "b.raise" => error("handler_error", "internal error"),
        "b.http500" => HttpResponse::InternalServerError().finish(),
        "b.slow" => {
            actix_web::rt::time::sleep(SLOW).await;
            HttpResponse::Ok().json(json!({"ok": true, "result": "slow"}))
        }
        "b.tiny" => {
            {
                let mut received = received.lock().unwrap();
                received.tiny.0 += 1;
                received.tiny.1 = received.tiny.1.max(received.tiny.0);
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
            received.lock().unwrap().tiny.0 -= 1;
            HttpResponse::Ok().json(json!({"ok": true, "result": "tiny"}))
        }
        "b.tell" => {
            let key = body["window"]["window_key"].clone();
            HttpResponse::Ok().json(json!({"ok": true, "result": "told", "triggers": [
                {"signal": "t.first", "opts": {"n": 1}, "to": [{"window": key}],
                 "signal_id": "5f0e6a52-8a4e-4b8e-9d52-0c1b2a3d4e5f"},
                {"signal": "t.bad", "to": [{"planet": "mars"}]},
                {"signal": "t.room", "opts": {"n": 2}, "to": [{"topic": "room"}]},
            ]}))
        }
        "b.tell_fail" => {
            let key = body["window"]["window_key"].clone();
            HttpResponse::Ok().json(json!({"ok": false,
                "error": {"code": "handler_error", "message": "failed after telling"},
                "triggers": [{"signal": "t.before_failing", "to": [{"window": key}]}]}))
        }
        "b.huge" => HttpResponse::Ok().json(json!({"ok": true, "result": "x".repeat(5 << 20)})),
        _ => HttpResponse::Ok().json(json!({"ok": true, "result": null})),
    }
}

impl Backend {
    fn start() -> Backend {
        let received = Arc::new(Mutex::new(Received::default()));
        let shared = received.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let data = web::Data::new(shared);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/switchboard/signals", web::get().to(manifest))
                        .route("/switchboard/call", web::post().to(call))
                })
                .workers(2)
                .bind("127.0.0.1:0")
                .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, actix_web::rt::System::current())).unwrap();
                let _ = server.await;
            });
        });
        let (addr, system) = rx.recv().unwrap();
        Backend {
            addr,
            received,
            system,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/switchboard/", self.addr)
    }

    fn calls(&self) -> Vec<Value> {
        self.received.lock().unwrap().calls.clone()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.system.stop();
    }
}

/// A node forwarding to `backend_url`, with a `slow` queue of one call and no backlog.
fn node(backend_url: String) -> TestServer {
    let mut config = common::config();
    config.backend_url = Some(backend_url);
    config.backend_key = Some(BACKEND_KEY.into());
    config.queues.insert(
        "slow".into(),
        QueueConfig {
            concurrency: 1,
            backlog: 0,
        },
    );
    TestServer::start_with(config, |b| b)
}

#[tokio::test]
async fn a_browser_call_reaches_the_backend_with_the_window_and_gets_its_result() {
    let backend = Backend::start();
    let server = node(backend.url());
    let key = server
        .register(json!({
            "user": {"id": "42", "username": "ann", "is_staff": true},
            "session": "s1", "language": "fr", "extra": {"csrf_cookie": "c", "user_agent": "ua"}
        }))
        .await;
    let mut client = Client::connect(&server, Some(&key)).await;
    assert_eq!(client.ok("b.echo", json!({"n": 1})).await, json!({"n": 1}));
    let calls = backend.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call["signal"], json!("b.echo"));
    assert_eq!(call["opts"], json!({"n": 1}));
    assert_eq!(call["queue"], json!("default"));
    assert_eq!(call["from_browser"], json!(true));
    assert_eq!(call["window"]["window_key"], json!(key));
    assert_eq!(call["window"]["user"]["id"], json!("42"));
    assert_eq!(call["window"]["user"]["is_staff"], json!(true));
    assert_eq!(call["window"]["session"], json!("s1"));
    assert_eq!(call["window"]["language"], json!("fr"));
    assert_eq!(
        call["window"]["extra"],
        json!({"csrf_cookie": "c", "user_agent": "ua"})
    );
    // Rust handlers still come first.
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 2})).await,
        json!(3)
    );
    assert_eq!(backend.calls().len(), 1);
}

#[tokio::test]
async fn the_backend_errors_reach_the_browser_as_its_codes() {
    let backend = Backend::start();
    let server = node(backend.url());
    let mut client = Client::connect(&server, None).await;
    let cases = [
        ("b.refuse", "forbidden", "staff only"),
        ("b.args", "invalid_arguments", "`n`: an integer"),
        ("b.raise", "handler_error", "internal error"),
        (
            "b.http500",
            "handler_error",
            "the backend answered HTTP 500",
        ),
    ];
    for (signal, code, message) in cases {
        assert_eq!(
            client.err(signal, json!({})).await,
            (code.to_owned(), message.to_owned()),
            "{signal}"
        );
    }
    let unknown = client.err("b.nothing", json!({})).await;
    assert_eq!(unknown.0, "unknown_signal");
    assert!(
        backend
            .calls()
            .iter()
            .all(|c| c["signal"] != json!("b.nothing")),
        "a name the backend does not list never reaches it"
    );
    let errors = "switchboard_backend_calls_total{outcome=\"forbidden\"}";
    assert_eq!(server.metric(errors).await, 1.0);
}

#[tokio::test]
async fn a_slow_queue_holds_up_no_other_queue_and_its_backlog_is_bounded() {
    let backend = Backend::start();
    let server = node(backend.url());
    let mut slow = Client::connect(&server, None).await;
    let mut other = Client::connect(&server, None).await;
    slow.send_json(json!({"signal": "b.slow", "opts": {}, "id": "s1"}))
        .await;
    // Let the first slow call take the queue's one slot.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (code, message) = other.err("b.slow", json!({})).await;
    assert_eq!(code, "rate_limited", "{message}");
    assert_eq!(other.ok("b.fast", json!({})).await, Value::Null);
    assert!(
        started.elapsed() < SLOW / 2,
        "another queue answered while the slow one was busy ({:?})",
        started.elapsed()
    );
    assert_eq!(
        slow.recv().await,
        json!({"reply_to": "s1", "ok": true, "result": "slow"})
    );
}

#[tokio::test]
async fn a_queue_runs_as_many_calls_at_once_as_the_backend_sizes_it() {
    let backend = Backend::start();
    let server = node(backend.url());
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Client::connect(&server, None).await);
    }
    for (i, client) in clients.iter_mut().enumerate() {
        client
            .send_json(json!({"signal": "b.tiny", "opts": {}, "id": i}))
            .await;
    }
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(
            client.recv().await,
            json!({"reply_to": i, "ok": true, "result": "tiny"})
        );
    }
    let (running, most) = backend.received.lock().unwrap().tiny;
    assert_eq!((running, most), (0, 1), "one at a time, none refused");
}

#[tokio::test]
async fn a_server_only_backend_signal_is_unknown_to_browsers() {
    let backend = Backend::start();
    let server = node(backend.url());
    let mut client = Client::connect(&server, None).await;
    let (code, _) = client.err("b.server", json!({})).await;
    assert_eq!(code, "unknown_signal");
    assert!(backend.calls().is_empty(), "the backend was not asked");
    server
        .trigger(json!({"signal": "b.server", "to": ["server"]}))
        .await;
    let deadline = Instant::now() + common::WAIT;
    while backend.calls().is_empty() {
        assert!(Instant::now() < deadline, "a server trigger reaches it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(backend.calls()[0]["from_browser"], json!(false));
}

#[tokio::test]
async fn a_backend_slower_than_the_time_limit_is_a_timeout() {
    let backend = Backend::start();
    let mut config = common::config();
    config.backend_url = Some(backend.url());
    config.backend_key = Some(BACKEND_KEY.into());
    config.handler_timeout_ms = 300;
    let server = TestServer::start_with(config, |b| b);
    let mut client = Client::connect(&server, None).await;
    let (code, message) = client.err("b.slow", json!({})).await;
    assert_eq!(code, "timeout", "{message}");
}

#[tokio::test]
async fn a_backend_down_from_the_start_gives_handler_error_and_the_node_stays_ready() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/switchboard/", closed.local_addr().unwrap());
    drop(closed);
    let server = node(url);
    let mut client = Client::connect(&server, None).await;
    let (code, message) = client.err("b.echo", json!({})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("handler_error", "the backend is unavailable"),
        "no list of signals was ever read: the backend is down, not the name unknown"
    );
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        client.ok("demo.add", json!({"a": 2, "b": 2})).await,
        json!(4)
    );
}

#[tokio::test]
async fn a_backend_lost_after_its_list_was_read_gives_handler_error() {
    let backend = Backend::start();
    let server = node(backend.url());
    let mut client = Client::connect(&server, None).await;
    assert_eq!(client.ok("b.echo", json!({"x": 1})).await, json!({"x": 1}));
    drop(backend);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, message) = client.err("b.echo", json!({})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("handler_error", "the backend is unavailable")
    );
    let unavailable = "switchboard_backend_calls_total{outcome=\"unavailable\"}";
    assert_eq!(server.metric(unavailable).await, 1.0);
}

#[tokio::test]
async fn a_server_trigger_runs_the_backend_handlers_without_a_browser() {
    let backend = Backend::start();
    let server = node(backend.url());
    let id = server
        .trigger(json!({"signal": "b.echo", "to": ["server"], "opts": {"from": "api"}}))
        .await;
    assert!(!id.is_empty());
    let deadline = Instant::now() + common::WAIT;
    while backend.calls().is_empty() {
        assert!(Instant::now() < deadline, "the backend was never called");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let call = &backend.calls()[0];
    assert_eq!(call["from_browser"], json!(false));
    assert_eq!(call["opts"], json!({"from": "api"}));
}

#[tokio::test]
async fn a_backend_registers_under_its_own_key_and_keeps_its_signal_ids() {
    let server = TestServer::start();
    let key = "dfkey0123456789abcdefghijklmnopq";
    let put = |body: Value| {
        server
            .api(reqwest::Method::PUT, &format!("/api/v1/windows/{key}"))
            .json(&body)
            .send()
    };
    let answer = put(json!({"topics": ["old"]})).await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["window_key"], json!(key));
    let mut client = Client::connect(&server, Some(key)).await;
    // Registered again with other topics: the connected window moves at once.
    let answer = put(json!({"topics": ["new"], "user": {"id": "7"}}))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let topics: Value = server
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/windows/{key}/topics"),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(topics, json!({"topics": ["new"]}));
    let signal_id = "0b9c2f8e-5d4a-4c3b-9a1e-2f3d4c5b6a70";
    let answer = server
        .api(reqwest::Method::POST, "/api/v1/trigger")
        .json(&json!({"signal": "t.moved", "to": [{"topic": "new"}], "signal_id": signal_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["signal_id"], json!(signal_id));
    server
        .trigger(json!({"signal": "t.stale", "to": [{"topic": "old"}]}))
        .await;
    let frame = client.signal("t.moved").await;
    assert_eq!(frame["signal_id"], json!(signal_id));
    client.expect_silence().await;
    let bad = [
        ("/api/v1/windows/tooshort", json!({}), "window key"),
        (
            &*format!("/api/v1/windows/{key}"),
            json!({"extra": {"x": "y".repeat(5000)}}),
            "`extra`: at most 4096 bytes of JSON",
        ),
    ];
    for (path, body, message) in bad {
        let answer = server
            .api(reqwest::Method::PUT, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        let answer: Value = answer.json().await.unwrap();
        let text = answer["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{text}");
    }
}

#[tokio::test]
async fn the_triggers_of_an_answer_are_sent_and_a_huge_answer_is_refused() {
    let backend = Backend::start();
    let server = node(backend.url());
    let key = server.register(json!({"topics": ["room"]})).await;
    let mut caller = Client::connect(&server, Some(&key)).await;
    let other_key = server.register(json!({"topics": ["room"]})).await;
    let mut other = Client::connect(&server, Some(&other_key)).await;

    caller
        .send_json(json!({"signal": "b.tell", "opts": {}, "id": 1}))
        .await;
    // Triggers and the reply have no defined order between them (PROTOCOL.md §5.2).
    let frames = [
        caller.recv().await,
        caller.recv().await,
        caller.recv().await,
    ];
    let find = |signal: &str| {
        frames
            .iter()
            .find(|f| f["signal"] == json!(signal))
            .unwrap_or_else(|| panic!("{signal} in {frames:?}"))
    };
    assert_eq!(find("t.first")["opts"], json!({"n": 1}));
    assert_eq!(
        find("t.first")["signal_id"],
        json!("5f0e6a52-8a4e-4b8e-9d52-0c1b2a3d4e5f"),
        "the backend's id"
    );
    assert_eq!(find("t.room")["opts"], json!({"n": 2}));
    assert!(frames.contains(&json!({"reply_to": 1, "ok": true, "result": "told"})));
    assert_eq!(other.signal("t.room").await["opts"], json!({"n": 2}));
    other.expect_silence().await;
    assert_eq!(backend.calls()[0]["accepts_triggers"], json!(true));
    let refused = "switchboard_backend_calls_total{outcome=\"trigger_refused\"}";
    assert_eq!(server.metric(refused).await, 1.0, "the bad destination");

    // A failed call's triggers are sent too: the handler made them before failing.
    caller
        .send_json(json!({"signal": "b.tell_fail", "opts": {}, "id": 2}))
        .await;
    let frames = [caller.recv().await, caller.recv().await];
    assert!(frames
        .iter()
        .any(|f| f["signal"] == json!("t.before_failing")));
    let reply = frames.iter().find(|f| f["reply_to"] == json!(2)).unwrap();
    assert_eq!(reply["error"]["message"], json!("failed after telling"));

    // An answer beyond the bound is not read to the end.
    let (code, message) = caller.err("b.huge", json!({})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "handler_error",
            "the backend's answer is larger than 4194304 bytes"
        )
    );
}
