//! The shared fixture of the integration tests: a real server on port 0 in its own actix
//! system, a real websocket client (tokio-tungstenite) and a real HTTP client (reqwest).

#![allow(dead_code)]

pub mod node;
pub mod process;
pub mod raw;
pub mod redis_server;
pub mod resume;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use switchboard::__private::{demo, MembersOf, RegistryStats, Stats, TopicRegistry};
use switchboard::config::Config;
use switchboard::{QueueConfig, RouterSettings, Server, SignalRouter, SignalRouterBuilder};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The API key of test servers.
pub const API_KEY: &str = "test-api-key-0123456789abcdef";

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(5);

/// How long a test waits to be sure something does not happen.
pub const QUIET: Duration = Duration::from_millis(300);

/// The configuration of test servers: port 0, API enabled, small `slow` queue.
pub fn config() -> Config {
    let mut config = Config {
        bind: "127.0.0.1:0".into(),
        api_key: Some(API_KEY.into()),
        demo: true,
        handler_timeout_ms: 2_000,
        workers: 2,
        ..Config::default()
    };
    config.queues.insert(
        "slow".into(),
        QueueConfig {
            concurrency: 2,
            backlog: 100,
        },
    );
    config
}

/// A server running in a thread of its own; stopped when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its router, to trigger from the test.
    pub router: SignalRouter,
    /// Its registry, to inspect memberships.
    pub registry: actix::Addr<TopicRegistry>,
    /// Its actix system, stopped on drop.
    system: actix_web::rt::System,
}

impl TestServer {
    /// The demo server with the default test configuration.
    pub fn start() -> TestServer {
        TestServer::start_with(config(), |b| b)
    }

    /// A server with `config`, the demo and test handlers, and whatever `extra` registers.
    pub fn start_with(
        config: Config,
        extra: impl FnOnce(SignalRouterBuilder) -> SignalRouterBuilder,
    ) -> TestServer {
        let builder = SignalRouter::builder().settings(RouterSettings::from(&config));
        let builder = handlers::register(demo::signals(builder));
        let router = extra(builder).build().expect("valid handlers");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let running = Server::new(config, router)
                    .app(demo::routes)
                    .start()
                    .expect("the test server binds");
                tx.send((
                    running.local_addr(),
                    running.router().clone(),
                    running.registry().clone(),
                    actix_web::rt::System::current(),
                ))
                .unwrap();
                let _ = running.wait().await;
            });
        });
        let (addr, router, registry, system) = rx.recv().expect("the test server starts");
        TestServer {
            addr,
            router,
            registry,
            system,
        }
    }

    /// `http://addr` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://addr/ws/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/", self.addr)
    }

    /// The value of a metric line (`name{labels}` exactly), 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(self.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    /// An HTTP request with the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(API_KEY)
    }

    /// Registers a window through the HTTP API and returns its key.
    pub async fn register(&self, body: Value) -> String {
        let response = self
            .api(reqwest::Method::POST, "/api/v1/windows")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "registration failed");
        let answer: Value = response.json().await.unwrap();
        answer["window_key"].as_str().unwrap().to_owned()
    }

    /// Triggers through the HTTP API and returns the signal id.
    pub async fn trigger(&self, body: Value) -> String {
        let response = self
            .api(reqwest::Method::POST, "/api/v1/trigger")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "trigger failed");
        let answer: Value = response.json().await.unwrap();
        answer["signal_id"].as_str().unwrap().to_owned()
    }

    /// A registered window (with `topics`) connected over a websocket.
    pub async fn window(&self, topics: &[&str]) -> (String, Client) {
        let key = self.register(json!({ "topics": topics })).await;
        let client = Client::connect(self, Some(&key)).await;
        (key, client)
    }

    /// Registry sizes.
    pub async fn stats(&self) -> RegistryStats {
        self.registry.send(Stats).await.unwrap()
    }

    /// Local members of a topic.
    pub async fn members(&self, topic: &str) -> usize {
        self.registry.send(MembersOf(topic.into())).await.unwrap()
    }

    /// Waits until the registry has more than `before` connections (a connect joins the
    /// registry asynchronously).
    pub async fn wait_joined(&self, before: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.stats().await.connections <= before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "connection never joined"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until the registry has `n` connections (connects and leaves are asynchronous).
    pub async fn wait_connections(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.stats().await.connections != n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} connections"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.system.stop();
    }
}

/// A websocket client speaking PROTOCOL.md.
pub struct Client {
    /// The connection.
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read while looking for something else (a reply, a given signal), in order.
    pending: std::collections::VecDeque<Value>,
    /// The last `{"position": ...}` frame (PROTOCOL.md §5.6). The helpers that read frames
    /// set it aside here, so tests of other rules see the frames of 1.1.
    pub position: Option<Value>,
    /// The `offset` of every signal frame [`Client::recv`] returned, in order; the helpers
    /// remove the field from the frame (tests/recovery.rs reads frames whole).
    pub offsets: Vec<u64>,
}

impl Client {
    /// Connects to the server, with `?dfwskey=` when a key is given. Returns once the
    /// registry has the connection, so triggers sent next reach it.
    pub async fn connect(server: &TestServer, key: Option<&str>) -> Client {
        let before = server.stats().await.connections;
        let url = match key {
            Some(key) => format!("{}?dfwskey={key}", server.ws_url()),
            None => server.ws_url(),
        };
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket upgrade");
        let mut client = Client::from_stream(ws);
        // A heartbeat round trip proves the window actor runs; then wait for the join.
        client.send_text("--heartbeat--").await;
        assert_eq!(client.recv_text().await, "--heartbeat--");
        server.wait_joined(before).await;
        client
    }

    /// Connects over a socket with a tiny receive buffer (no autotuning), so a client that
    /// stops reading pushes back on the server after a few kilobytes instead of megabytes.
    pub async fn connect_small_buffer(server: &TestServer, key: &str) -> Client {
        let before = server.stats().await.connections;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(server.addr).await.unwrap();
        let url = format!("{}?dfwskey={key}", server.ws_url());
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket upgrade");
        server.wait_joined(before).await;
        Client::from_stream(ws)
    }

    /// Wraps an already upgraded stream.
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            pending: std::collections::VecDeque::new(),
            position: None,
            offsets: Vec::new(),
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// Sends any frame.
    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// Sends a JSON frame.
    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// The next text frame (pings are answered by tungstenite and skipped; a position frame
    /// is kept in [`Client::position`] and skipped).
    pub async fn recv_text(&mut self) -> String {
        loop {
            let text = self.recv_raw_text().await;
            if text.starts_with(r#"{"position":"#) {
                self.position = Some(serde_json::from_str(&text).expect("a JSON position"));
                continue;
            }
            return text;
        }
    }

    /// The next frame as the server sent it, position frames and offsets included.
    pub async fn recv_raw(&mut self) -> Value {
        let text = self.recv_raw_text().await;
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// The next text frame, whatever it is.
    pub async fn recv_raw_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the wait")
                .expect("the connection is open")
                .expect("a valid frame");
            match message {
                Message::Text(text) => return text.to_string(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next JSON frame: first those set aside by [`Client::request`] and
    /// [`Client::signal`], then from the socket.
    pub async fn recv(&mut self) -> Value {
        if let Some(frame) = self.pending.pop_front() {
            return frame;
        }
        self.recv_fresh().await
    }

    /// The next JSON frame from the socket.
    async fn recv_fresh(&mut self) -> Value {
        let text = self.recv_text().await;
        let mut frame: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        if let Some(offset) = frame.as_object_mut().and_then(|f| f.remove("offset")) {
            let offset = offset
                .as_u64()
                .expect("an offset is a non-negative integer");
            self.offsets.push(offset);
        }
        frame
    }

    /// The first frame matching `wanted`, from the set-aside ones then the socket; frames
    /// passed over are set aside, in order.
    async fn find(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.pending.iter().position(&wanted) {
            return self.pending.remove(at).expect("position is in range");
        }
        loop {
            let frame = self.recv_fresh().await;
            if wanted(&frame) {
                return frame;
            }
            self.pending.push_back(frame);
        }
    }

    /// Calls a signal with an id and returns its reply frame (other frames are skipped).
    pub async fn request(&mut self, signal: &str, opts: Value) -> Value {
        let id = format!("r{}", rand_id());
        self.send_json(json!({"signal": signal, "opts": opts, "id": id}))
            .await;
        self.find(|frame| frame["reply_to"] == json!(id)).await
    }

    /// Calls and expects success; returns the result.
    pub async fn ok(&mut self, signal: &str, opts: Value) -> Value {
        let reply = self.request(signal, opts).await;
        assert_eq!(reply["ok"], json!(true), "{signal} failed: {reply}");
        reply["result"].clone()
    }

    /// Calls and expects failure; returns (code, message).
    pub async fn err(&mut self, signal: &str, opts: Value) -> (String, String) {
        let reply = self.request(signal, opts).await;
        assert_eq!(reply["ok"], json!(false), "{signal} should fail: {reply}");
        (
            reply["error"]["code"].as_str().unwrap().to_owned(),
            reply["error"]["message"].as_str().unwrap().to_owned(),
        )
    }

    /// The next signal frame with this name (others are set aside).
    pub async fn signal(&mut self, name: &str) -> Value {
        self.find(|frame| frame["signal"] == json!(name)).await
    }

    /// Asserts that no frame arrives for a while (and none is set aside).
    pub async fn expect_silence(&mut self) {
        assert!(
            self.pending.is_empty(),
            "unexpected frames: {:?}",
            self.pending
        );
        let deadline = tokio::time::Instant::now() + QUIET;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(Some(Ok(Message::Text(text)))) if text.starts_with(r#"{"position":"#) => {
                    self.position = Some(serde_json::from_str(&text).unwrap());
                }
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Waits for the server to close the connection and returns the close code.
    pub async fn closed(&mut self) -> CloseCode {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the close within the wait");
            match message {
                Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => return code,
                Some(Ok(Message::Close(None))) => return CloseCode::Status,
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("connection failed before a close frame: {e}"),
                None => panic!("connection ended without a close frame"),
            }
        }
    }

    /// Waits for the server to end a connection that stopped reading: its close code when
    /// the close frame got through, `None` when the server reset the connection because it
    /// could not write it. What was queued before may be read on the way.
    pub async fn closed_or_reset(&mut self) -> Option<CloseCode> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the end within the wait");
            match message {
                Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => return Some(code),
                Some(Ok(Message::Close(None))) => return Some(CloseCode::Status),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes the connection from the client side.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Asserts that a registration was refused: 503 `too_many_windows`, naming `max_windows`.
pub fn assert_too_many_windows(status: u16, answer: &Value, max_windows: usize) {
    assert_eq!(status, 503, "{answer}");
    assert_eq!(
        answer["error"]["code"],
        json!("too_many_windows"),
        "{answer}"
    );
    let message = answer["error"]["message"].as_str().unwrap();
    let limit = format!("max_windows = {max_windows}");
    assert!(message.contains(&limit), "{answer}");
}

/// A short random string for call ids.
pub fn rand_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Handlers only the tests use, registered next to the demo's by [`TestServer::start`].
pub mod handlers {
    use serde_json::json;
    use switchboard::{signal, SignalContext, SignalError, To};

    /// Always panics.
    #[signal(path = "test.panic", allowed = everyone)]
    pub async fn panic(_ctx: SignalContext) -> Result<(), SignalError> {
        panic!("boom: secret internals");
    }

    /// Never finishes; its time limit is 200 ms.
    #[signal(path = "test.hang", allowed = everyone, timeout_ms = 200)]
    pub async fn hang(_ctx: SignalContext) -> Result<(), SignalError> {
        std::future::pending::<()>().await;
        Ok(())
    }

    /// Server-only: browsers must not see it.
    #[signal(path = "test.server_only")]
    pub async fn server_only(ctx: SignalContext, topic: String) -> Result<(), SignalError> {
        ctx.trigger(
            "test.ran",
            To::topic(topic)?,
            json!({"from_browser": ctx.is_from_browser()}),
        )
        .await?;
        Ok(())
    }

    /// Triggers `test.seq` {n} to a topic `count` times, in order.
    #[signal(path = "test.burst", allowed = everyone)]
    pub async fn burst(ctx: SignalContext, topic: String, count: u32) -> Result<(), SignalError> {
        for n in 0..count {
            ctx.trigger("test.seq", To::topic(topic.clone())?, json!({ "n": n }))
                .await?;
        }
        Ok(())
    }

    /// Registers every test handler.
    pub fn register(builder: switchboard::SignalRouterBuilder) -> switchboard::SignalRouterBuilder {
        builder
            .signal(panic)
            .signal(hang)
            .signal(server_only)
            .signal(burst)
    }
}

/// The status of a websocket upgrade of `url`, with `Origin: origin` when given: 101 when it
/// switched, else the refusal's.
pub async fn upgrade_status(url: &str, origin: Option<&str>) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Error;
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("upgrade of {url}: {e}"),
    }
}
