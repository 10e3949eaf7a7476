//! Switchboard nodes as other processes see them: `switchboard serve` child processes on a
//! private `redis-server`, driven through their HTTP API and websockets (tests/redis.rs,
//! tests/redis_recovery.rs).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::process::{switchboard, Process};
use super::redis_server::RedisServer;
use super::Client;

/// The API key of the nodes (32 characters).
pub const API_KEY: &str = "redis-test-key-0123456789abcdefg";

/// How long a node may take to reach Redis again after an outage.
pub const RECOVERY: Duration = Duration::from_secs(10);

/// How long a node may take to notice an outage, or to answer while Redis is down.
pub const OUTAGE_ANSWER: Duration = Duration::from_secs(3);

/// One `switchboard serve` process connected to Redis.
pub struct Node {
    /// Which node it is, for messages.
    pub name: &'static str,
    /// The child process.
    pub process: Process,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its HTTP client.
    pub http: reqwest::Client,
}

impl Node {
    /// `serve --bind 127.0.0.1:0 --demo --api-key KEY --redis URL`.
    pub async fn start(name: &'static str, redis: &RedisServer) -> Node {
        Node::start_with(name, &["--redis", &redis.url()], &[]).await
    }

    /// A node with extra arguments and environment variables.
    pub async fn start_with(name: &'static str, args: &[&str], env: &[(&str, &str)]) -> Node {
        let mut all = vec![
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "--api-key",
            API_KEY,
        ];
        all.extend_from_slice(args);
        let mut command = switchboard(&all);
        for (var, value) in env {
            command.env(var, value);
        }
        let mut process = Process::spawn(command);
        let addr = process.listening();
        let node = Node {
            name,
            process,
            addr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        };
        node.wait_ready(StatusCode::OK, RECOVERY).await;
        node
    }

    /// An HTTP request to the node, with the API key.
    pub fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("http://{}{path}", self.addr))
            .bearer_auth(API_KEY)
    }

    /// `POST path` with a JSON body; returns the status and the JSON answer (null if none).
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .api(Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} on {}: {e}", self.name));
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Registers a window through the API; returns its key.
    pub async fn register(&self, body: Value) -> String {
        let (status, answer) = self.post("/api/v1/windows", body).await;
        assert_eq!(status, 201, "registration on {}: {answer}", self.name);
        answer["window_key"].as_str().unwrap().to_owned()
    }

    /// Triggers through the API; returns the signal id.
    pub async fn trigger(&self, body: Value) -> String {
        let (status, answer) = self.post("/api/v1/trigger", body).await;
        assert_eq!(status, 202, "trigger on {}: {answer}", self.name);
        answer["signal_id"].as_str().unwrap().to_owned()
    }

    /// `ws://ADDR/ws/?dfwskey=KEY` of this node.
    pub fn ws_url(&self, key: &str) -> String {
        format!("ws://{}/ws/?dfwskey={key}", self.addr)
    }

    /// Connects a window to this node; a heartbeat round trip proves the window actor runs.
    pub async fn connect(&self, key: &str) -> Client {
        let url = self.ws_url(key);
        let (ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .unwrap_or_else(|e| panic!("upgrade of {url} on {}: {e}", self.name));
        let mut client = Client::from_stream(ws);
        client.send_text("--heartbeat--").await;
        assert_eq!(client.recv_text().await, "--heartbeat--");
        client
    }

    /// The status of `GET /readyz` (within `limit`).
    pub async fn readyz(&self, limit: Duration) -> Result<StatusCode, String> {
        self.http
            .get(format!("http://{}/readyz", self.addr))
            .timeout(limit)
            .send()
            .await
            .map(|r| r.status())
            .map_err(|e| e.to_string())
    }

    /// Waits until `/readyz` answers `status`.
    pub async fn wait_ready(&self, status: StatusCode, within: Duration) {
        let started = Instant::now();
        loop {
            let got = self.readyz(within).await;
            if got == Ok(status) {
                return;
            }
            assert!(
                started.elapsed() < within,
                "/readyz on {} did not answer {status} within {within:?} (last: {got:?})",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let response = self
            .http
            .get(format!("http://{}/metrics", self.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// The node's log so far, for failure messages.
    pub fn log(&mut self) -> String {
        self.process.transcript_now()
    }
}

/// A private Redis and two nodes on it.
pub struct Cluster {
    /// The Redis both use.
    pub redis: RedisServer,
    /// Node A.
    pub a: Node,
    /// Node B.
    pub b: Node,
}

impl Cluster {
    pub async fn start() -> Cluster {
        let redis = RedisServer::start();
        let a = Node::start("A", &redis).await;
        let b = Node::start("B", &redis).await;
        Cluster { redis, a, b }
    }
}
