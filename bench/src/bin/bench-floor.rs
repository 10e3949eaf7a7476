//! `bench-floor`: the raw-socket reference server for Switchboard's benchmarks.
//!
//! This is a benchmark reference, not a product. It does the least work a
//! websocket fan-out server can do: every connected websocket subscribes to
//! one shared broadcast channel, and every `POST /broadcast` on a separate
//! HTTP port pushes its body to all of them as one text frame. The payload is
//! allocated once per trigger and shared by every recipient; nothing is
//! serialized per connection. Measuring it under the same load as Switchboard
//! shows the "floor": the most this machine's sockets can do for the workload,
//! so Switchboard's numbers can be read as a fraction of that.
//!
//! Beyond fan-out it answers just enough of the protocol for the load
//! generator to run unchanged: the `--heartbeat--` text frame is echoed, and a
//! JSON call frame carrying an `id` is acknowledged with
//! `{"reply_to":<id>,"ok":true,"result":<opts>}`. There is no auth, routing,
//! topic filtering or logging.
//!
//! `GET /stats` on the HTTP port reports `{"connections":N,"dropped":M}`, where
//! `dropped` counts frames lost by receivers that lagged the channel (counted
//! when the lagging connection next reads from it).

use std::borrow::Cow;
use std::io::{self, Write as _};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// Broadcast channel capacity in frames. A connection that falls further
/// behind than this loses the oldest frames; they are counted in `dropped`.
const CHANNEL_CAPACITY: usize = 65_536;
/// Most frames written to one connection before a flush.
const MAX_BATCH: usize = 1_024;
/// Heartbeat text frame, echoed back verbatim.
const HEARTBEAT: &str = "--heartbeat--";
/// Largest accepted HTTP request body (1 MiB).
const MAX_BODY: u64 = 1 << 20;
/// Longest accepted HTTP request or header line, in bytes.
const MAX_LINE: u64 = 8 * 1_024;
/// Most header lines accepted in one HTTP request.
const MAX_HEADERS: usize = 100;
/// How long a rejected HTTP connection is drained before closing, so the
/// client reads the error response rather than a TCP reset.
const LINGER: Duration = Duration::from_millis(500);
/// Pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
/// Hard `RLIMIT_NOFILE` requested when running as root.
const ROOT_NOFILE: libc::rlim_t = 1_048_576;

/// Body of a successful broadcast trigger.
const OK_BODY: &str = r#"{"ok":true}"#;
/// Body of a 404 response.
const NOT_FOUND_BODY: &str = r#"{"ok":false,"error":"not found"}"#;
/// Interim response for clients that sent `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Command line of the floor server.
#[derive(Parser, Debug)]
#[command(
    name = "bench-floor",
    about = "Raw tokio-tungstenite broadcast server: the benchmark floor"
)]
struct Args {
    /// Websocket listen address, e.g. 127.0.0.1:9101.
    #[arg(long, value_name = "ADDR")]
    ws: String,
    /// HTTP trigger listen address, e.g. 127.0.0.1:9102.
    #[arg(long, value_name = "ADDR")]
    http: String,
    /// Tokio worker threads (default: available cores).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
}

/// State shared by every connection.
struct Shared {
    /// Fan-out channel; every websocket holds a receiver.
    tx: broadcast::Sender<Utf8Bytes>,
    /// Websockets currently connected.
    connections: AtomicUsize,
    /// Frames lost by lagging receivers.
    dropped: AtomicU64,
}

/// Reply to a call frame, fields in wire order.
#[derive(Serialize)]
struct Reply {
    reply_to: Value,
    ok: bool,
    result: Value,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    raise_nofile_limit();
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
        .max(1);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?
        .block_on(run(args))
}

/// Raises the soft open-file limit to the hard limit, first lifting the hard
/// limit to [`ROOT_NOFILE`] when running as root. Failures are ignored.
fn raise_nofile_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && limit.rlim_max < ROOT_NOFILE {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_cur,
            rlim_max: ROOT_NOFILE,
        };
        // SAFETY: `raised` is a valid rlimit that outlives the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: `limit` is a valid rlimit that outlives the call.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
}

/// Binds both listeners, announces them on stdout and serves forever.
async fn run(args: Args) -> io::Result<()> {
    let ws = TcpListener::bind(&args.ws).await?;
    let http = TcpListener::bind(&args.http).await?;
    let shared = Arc::new(Shared {
        tx: broadcast::channel(CHANNEL_CAPACITY).0,
        connections: AtomicUsize::new(0),
        dropped: AtomicU64::new(0),
    });
    {
        let mut out = io::stdout().lock();
        let (ws_addr, http_addr) = (ws.local_addr()?, http.local_addr()?);
        writeln!(out, "bench-floor ws={ws_addr} http={http_addr}")?;
        out.flush()?;
    }
    tokio::join!(
        accept_loop(ws, Arc::clone(&shared), serve_ws),
        accept_loop(http, shared, serve_http),
    );
    Ok(())
}

/// Accepts connections forever, spawning `serve` for each one.
async fn accept_loop<F, Fut>(listener: TcpListener, shared: Arc<Shared>, serve: F)
where
    F: Fn(TcpStream, Arc<Shared>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
            Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
        }
    }
}

/// A small read buffer: tungstenite allocates its default 128 KiB read buffer up front,
/// which made an idle connection cost about 135 KiB and measured the default, not the
/// sockets. The write buffer stays at its default: it is allocated only when frames are
/// written and lets a burst of frames leave in one write.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// Initial read buffer of a connection (it grows for larger frames).
const READ_BUFFER: usize = 4096;

/// Runs one websocket connection: handshake (any path), subscribe, pump.
async fn serve_ws(stream: TcpStream, shared: Arc<Shared>) {
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config())).await
    else {
        return;
    };
    let rx = shared.tx.subscribe();
    shared.connections.fetch_add(1, Ordering::Relaxed);
    let _ = pump(ws, rx, &shared).await;
    shared.connections.fetch_sub(1, Ordering::Relaxed);
}

/// Forwards broadcast frames to the socket and answers inbound frames until
/// the peer closes or any error occurs.
async fn pump(
    ws: WebSocketStream<TcpStream>,
    mut rx: broadcast::Receiver<Utf8Bytes>,
    shared: &Shared,
) -> Result<(), WsError> {
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(text) => {
                    sink.feed(Message::Text(text)).await?;
                    drain(&mut rx, &mut sink, shared).await?;
                    sink.flush().await?;
                }
                Err(RecvError::Lagged(n)) => {
                    shared.dropped.fetch_add(n, Ordering::Relaxed);
                }
                Err(RecvError::Closed) => return Ok(()),
            },
            inbound = stream.next() => match inbound {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = answer(&text) {
                        sink.send(Message::Text(reply)).await?;
                    }
                }
                // Flushes tungstenite's queued close reply.
                Some(Ok(Message::Close(_))) => return sink.close().await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

/// Feeds up to [`MAX_BATCH`] further already-queued frames without flushing.
async fn drain(
    rx: &mut broadcast::Receiver<Utf8Bytes>,
    sink: &mut SplitSink<WebSocketStream<TcpStream>, Message>,
    shared: &Shared,
) -> Result<(), WsError> {
    for _ in 1..MAX_BATCH {
        match rx.try_recv() {
            Ok(text) => sink.feed(Message::Text(text)).await?,
            Err(TryRecvError::Lagged(n)) => {
                shared.dropped.fetch_add(n, Ordering::Relaxed);
            }
            Err(_) => break,
        }
    }
    Ok(())
}

/// Answer to an inbound text frame: the heartbeat echo, a call reply, or
/// `None` for anything else.
fn answer(text: &str) -> Option<Utf8Bytes> {
    if text == HEARTBEAT {
        return Some(Utf8Bytes::from_static(HEARTBEAT));
    }
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let Value::Object(mut call) = serde_json::from_str(text).ok()? else {
        return None;
    };
    let id = call.remove("id")?;
    if !(id.is_string() || id.is_i64() || id.is_u64()) {
        return None;
    }
    let reply = Reply {
        reply_to: id,
        ok: true,
        result: call.remove("opts").unwrap_or(Value::Null),
    };
    serde_json::to_string(&reply).ok().map(Utf8Bytes::from)
}

/// What routing and framing need from an HTTP request head.
struct Head {
    method: String,
    path: String,
    content_length: u64,
    close: bool,
    expect_continue: bool,
}

/// Why a request head could not be read.
enum HeadError {
    /// The peer went away or the socket failed: close silently.
    Closed,
    /// The request is not acceptable HTTP/1.x: answer 400 and close.
    Malformed,
}

/// Runs one keep-alive HTTP/1.1 connection.
async fn serve_http(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        let head = match read_head(&mut reader, &mut line).await {
            Ok(Some(head)) => head,
            Ok(None) | Err(HeadError::Closed) => return,
            Err(HeadError::Malformed) => {
                let body = r#"{"ok":false,"error":"bad request"}"#;
                return reject(&mut reader, &mut write, "400 Bad Request", body).await;
            }
        };
        if head.content_length > MAX_BODY {
            let body = r#"{"ok":false,"error":"body too large"}"#;
            return reject(&mut reader, &mut write, "413 Payload Too Large", body).await;
        }
        if head.expect_continue
            && head.content_length > 0
            && write.write_all(CONTINUE).await.is_err()
        {
            return;
        }
        // Bounded by MAX_BODY above, so the cast cannot truncate.
        let mut body = vec![0; head.content_length as usize];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let (status, reply) = route(&head, body, &shared);
        let sent = respond(&mut write, status, &reply, head.close).await;
        if sent.is_err() || head.close {
            return;
        }
    }
}

/// Handles one well-formed request, returning status line and JSON body.
fn route(head: &Head, body: Vec<u8>, shared: &Shared) -> (&'static str, Cow<'static, str>) {
    match (head.method.as_str(), head.path.as_str()) {
        ("POST", "/broadcast") => match String::from_utf8(body) {
            Ok(text) => {
                // No subscribers is not an error for a trigger.
                let _ = shared.tx.send(Utf8Bytes::from(text));
                ("202 Accepted", OK_BODY.into())
            }
            Err(_) => (
                "400 Bad Request",
                r#"{"ok":false,"error":"body is not UTF-8"}"#.into(),
            ),
        },
        ("GET", "/stats") => {
            let connections = shared.connections.load(Ordering::Relaxed);
            let dropped = shared.dropped.load(Ordering::Relaxed);
            let stats = format!(r#"{{"connections":{connections},"dropped":{dropped}}}"#);
            ("200 OK", stats.into())
        }
        _ => ("404 Not Found", NOT_FOUND_BODY.into()),
    }
}

/// Reads a request line and headers up to the empty line. `Ok(None)` means
/// the peer closed cleanly between requests.
async fn read_head(
    reader: &mut BufReader<OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> Result<Option<Head>, HeadError> {
    // Tolerate stray empty lines between requests (RFC 9112 §2.2).
    loop {
        if !read_line(reader, buf).await? {
            return Ok(None);
        }
        if !buf.is_empty() {
            break;
        }
    }
    let line = std::str::from_utf8(buf).map_err(|_| HeadError::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(HeadError::Malformed),
    };
    if method.is_empty() || !target.starts_with('/') {
        return Err(HeadError::Malformed);
    }
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut content_length = None;
    let mut expect_continue = false;
    for _ in 0..=MAX_HEADERS {
        if !read_line(reader, buf).await? {
            return Err(HeadError::Closed);
        }
        if buf.is_empty() {
            return Ok(Some(Head {
                method,
                path,
                content_length: content_length.unwrap_or(0),
                close: !keep_alive,
                expect_continue,
            }));
        }
        let line = std::str::from_utf8(buf).map_err(|_| HeadError::Malformed)?;
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let length: u64 = value.parse().map_err(|_| HeadError::Malformed)?;
            if content_length.is_some_and(|seen| seen != length) {
                return Err(HeadError::Malformed);
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked bodies are not supported by this minimal server.
            return Err(HeadError::Malformed);
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    Err(HeadError::Malformed)
}

/// Reads one line into `buf` without its `\n` / `\r\n` terminator. Returns
/// `Ok(false)` on EOF before any byte; rejects lines over [`MAX_LINE`].
async fn read_line(
    reader: &mut BufReader<OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> Result<bool, HeadError> {
    buf.clear();
    let read = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', buf)
        .await
        .map_err(|_| HeadError::Closed)?;
    if read == 0 {
        return Ok(false);
    }
    if buf.pop() != Some(b'\n') {
        return Err(if read as u64 >= MAX_LINE {
            HeadError::Malformed
        } else {
            HeadError::Closed
        });
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(true)
}

/// Writes one complete response with a JSON body.
async fn respond(
    write: &mut OwnedWriteHalf,
    status: &str,
    body: &str,
    close: bool,
) -> io::Result<()> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{connection}\r\n",
        body.len()
    );
    out.push_str(body);
    write.write_all(out.as_bytes()).await
}

/// Sends a final error response, then drains input briefly so the peer reads
/// the response instead of a reset caused by unread data.
async fn reject(
    reader: &mut BufReader<OwnedReadHalf>,
    write: &mut OwnedWriteHalf,
    status: &str,
    body: &str,
) {
    if respond(write, status, body, true).await.is_err() || write.shutdown().await.is_err() {
        return;
    }
    let mut scratch = [0u8; 8 * 1_024];
    let discard = async { while matches!(reader.read(&mut scratch).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(LINGER, discard).await;
}
