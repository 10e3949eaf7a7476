//! Opening windows: registration through the HTTP API, websocket connects spread over
//! several loopback source addresses, triggers, and the bench's clock.
//!
//! One source address has about 28,000 ephemeral ports towards one server port, so
//! connection `i` binds to `127.0.0.(1 + i % SOURCE_ADDRESSES)`: the whole 127.0.0.0/8 is
//! loopback on Linux, which gives room for several hundred thousand connections.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

use crate::target::Target;

/// An open benchmark websocket.
pub type Ws = WebSocketStream<TcpStream>;

/// How many loopback source addresses connections are spread over.
pub const SOURCE_ADDRESSES: usize = 16;

/// Websocket handshakes in flight at once while connecting many windows.
pub const CONNECT_CONCURRENCY: usize = 256;

/// Registrations in flight at once.
pub const REGISTER_CONCURRENCY: usize = 32;

/// Time allowed for one connect or one HTTP request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Microseconds since the bench started: the clock of every `{t}` (one process sends and
/// receives, so a monotonic clock is enough).
pub fn now_us() -> u64 {
    EPOCH.elapsed().as_micros() as u64
}

/// The HTTP client for registrations and triggers (keep-alive, no proxy).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("building an HTTP client")
}

/// Sends one `POST` with the target's bearer key; returns the response body on 2xx.
pub async fn post(
    client: &reqwest::Client,
    target: &Target,
    url: &str,
    body: String,
) -> Result<String, String> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = &target.api_key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("POST {url}: HTTP {status}: {text}"))
    }
}

/// Registers `count` windows (when the target has registrations) and returns their keys.
pub async fn register_all(
    client: &reqwest::Client,
    target: &Target,
    count: usize,
) -> Result<Vec<Option<String>>, String> {
    let Some(registration) = &target.register else {
        return Ok(vec![None; count]);
    };
    let results: Vec<Result<String, String>> = stream::iter(0..count)
        .map(|_| async {
            let text = post(client, target, &registration.url, registration.body.clone()).await?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("registration answer: {e}"))?;
            value["window_key"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("registration answer without window_key: {text}"))
        })
        .buffer_unordered(REGISTER_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().map(|r| r.map(Some)).collect()
}

/// Opens connection number `index` to `url` from its loopback source address.
pub async fn connect(url: &str, index: usize) -> Result<Ws, String> {
    let request = url
        .into_client_request()
        .map_err(|e| format!("bad websocket URL {url}: {e}"))?;
    let host = request.uri().host().unwrap_or_default().to_owned();
    let port = request.uri().port_u16().unwrap_or(80);
    let server: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|_| format!("{url}: the bench connects to literal loopback addresses only"))?;
    let source = Ipv4Addr::new(127, 0, 0, 1 + (index % SOURCE_ADDRESSES) as u8);
    let attempt = async {
        let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        socket
            .bind(SocketAddr::new(source.into(), 0))
            .map_err(|e| format!("bind {source}: {e}"))?;
        let stream = socket
            .connect(server)
            .await
            .map_err(|e| format!("connect {server} from {source}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        // A small read buffer: tungstenite's default allocates 128 KiB per socket up front.
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|e| format!("websocket handshake with {url}: {e}"))?;
        Ok(ws)
    };
    tokio::time::timeout(REQUEST_TIMEOUT, attempt)
        .await
        .map_err(|_| format!("connect to {url} timed out"))?
}

/// The outcome of opening many windows.
pub struct Opened {
    /// The open websockets.
    pub windows: Vec<Ws>,
    /// Connects that failed, and the first failure.
    pub failed: usize,
    /// The first connect error, if any.
    pub first_error: Option<String>,
    /// Seconds the connects took (registration excluded).
    pub seconds: f64,
}

/// Registers and connects `count` windows. A failed registration is an error; failed
/// connects are counted (capacity runs report how many got through).
pub async fn open_windows(
    client: &reqwest::Client,
    target: &Target,
    count: usize,
) -> Result<Opened, String> {
    let keys = register_all(client, target, count).await?;
    let target = Arc::new(target.clone());
    let started = Instant::now();
    let results: Vec<Result<Ws, String>> = stream::iter(keys.into_iter().enumerate())
        .map(|(index, key)| {
            let target = Arc::clone(&target);
            async move { connect(&target.ws_url_for(key.as_deref()), index).await }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut opened = Opened {
        windows: Vec::with_capacity(count),
        failed: 0,
        first_error: None,
        seconds,
    };
    for result in results {
        match result {
            Ok(ws) => opened.windows.push(ws),
            Err(e) => {
                opened.failed += 1;
                opened.first_error.get_or_insert(e);
            }
        }
    }
    Ok(opened)
}
