//! The real `switchboard` binary: command line, environment, config file, logging, shutdown.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use common::process::{switchboard, Process, Stream};
use common::{upgrade_status, Client};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Runs the binary to completion; returns its status, stdout and stderr.
fn run(command: Command) -> (ExitStatus, String, String) {
    let mut process = Process::spawn(command);
    let status = process.exit();
    process.drain();
    (
        status,
        process.output(Stream::Stdout),
        process.output(Stream::Stderr),
    )
}

/// A file in the test's scratch directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> TempFile {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "switchboard-{}.toml",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `POST /api/v1/windows` with `key`; returns the status and answer.
async fn register(addr: SocketAddr, key: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/windows"))
        .bearer_auth(key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn get(addr: SocketAddr, path: &str) -> StatusCode {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap()
        .status()
}

/// Connects a websocket and proves the window actor runs with a heartbeat round trip.
async fn connect(url: &str) -> Client {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("upgrade of {url}: {e}"));
    let mut client = Client::from_stream(ws);
    client.send_text("--heartbeat--").await;
    assert_eq!(client.recv_text().await, "--heartbeat--");
    client
}

// ---------------------------------------------------------------------------------------------
// Command line

#[test]
fn help_documents_every_option_and_its_environment_variable() {
    let (status, stdout, stderr) = run(switchboard(&["--help"]));
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stdout.contains("Usage: switchboard"), "{stdout}");
    assert!(stdout.contains("serve"), "{stdout}");
    assert!(stdout.contains("--version"), "{stdout}");

    let mut command = switchboard(&["serve", "--help"]);
    // Secrets from the environment are never shown.
    command.env("SWITCHBOARD_API_KEY", "secret-key-0123456789abcdef");
    let (status, stdout, stderr) = run(command);
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stdout.contains("Usage: switchboard serve"), "{stdout}");
    let options = [
        ("--config", "SWITCHBOARD_CONFIG"),
        ("--bind", "SWITCHBOARD_BIND"),
        ("--api-key", "SWITCHBOARD_API_KEY"),
        ("--demo", "SWITCHBOARD_DEMO"),
        ("--log-format", "SWITCHBOARD_LOG_FORMAT"),
        ("--ws-path", "SWITCHBOARD_WS_PATH"),
        ("--public-ws-url", "SWITCHBOARD_PUBLIC_WS_URL"),
        ("--window-ttl-secs", "SWITCHBOARD_WINDOW_TTL_SECS"),
        ("--handler-timeout-ms", "SWITCHBOARD_HANDLER_TIMEOUT_MS"),
        ("--max-frame-bytes", "SWITCHBOARD_MAX_FRAME_BYTES"),
        ("--outbound-queue", "SWITCHBOARD_OUTBOUND_QUEUE"),
        (
            "--refuse-unknown-windows",
            "SWITCHBOARD_REFUSE_UNKNOWN_WINDOWS",
        ),
        ("--allowed-origin", "SWITCHBOARD_ALLOWED_ORIGINS"),
        ("--workers", "SWITCHBOARD_WORKERS"),
    ];
    for (option, env) in options {
        assert!(stdout.contains(option), "{option} in:\n{stdout}");
        assert!(
            stdout.contains(&format!("[env: {env}")),
            "{env} in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("human") && stdout.contains("json"),
        "{stdout}"
    );
    assert!(!stdout.contains("secret-key-0123456789abcdef"), "{stdout}");

    let (status, stdout, _) = run(switchboard(&["--version"]));
    assert!(status.success());
    assert_eq!(
        stdout,
        format!("switchboard {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn serve_prints_its_address_and_answers_there() {
    let mut process = Process::spawn(switchboard(&["serve", "--bind", "127.0.0.1:0"]));
    let addr = process.listening();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let response = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    // Without --api-key the API does not exist; without --demo there is no page.
    assert_eq!(register(addr, "whatever-key-0123456789").await.0, 404);
    assert_eq!(get(addr, "/").await, 404);
    // The line is printed exactly once.
    process.drain_for(Duration::from_millis(200));
    let count = process
        .output(Stream::Stdout)
        .lines()
        .filter(|l| l.starts_with("listening on http://"))
        .count();
    assert_eq!(count, 1, "{}", process.transcript());
}

#[tokio::test]
async fn serve_keeps_serving_when_nobody_reads_its_output() {
    // A supervisor that closed the pipe it gave as stdout: printing the address fails
    // (EPIPE), and the server must serve all the same rather than panic.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = switchboard(&["serve", "--bind", &addr.to_string()]);
    command.stdout(writer).stderr(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            panic!("the server exited with {exit} when its stdout was closed");
        }
        match reqwest::get(format!("http://{addr}/healthz")).await {
            Ok(response) => break response.status(),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(error) => panic!("the server does not answer: {error}"),
        }
    };
    assert_eq!(status, 200);
    // Answering once is not enough: the main task printed before serving; still alive.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(child.try_wait().unwrap().is_none(), "the server exited");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn options_come_from_the_environment() {
    let mut command = switchboard(&["serve"]);
    command
        .env("SWITCHBOARD_BIND", "127.0.0.1:0")
        .env("SWITCHBOARD_API_KEY", "env-key-0123456789abcdef")
        .env("SWITCHBOARD_DEMO", "true")
        .env("SWITCHBOARD_WS_PATH", "/env-ws/");
    let mut process = Process::spawn(command);
    let addr = process.listening();
    let (status, body) = register(addr, "env-key-0123456789abcdef").await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap();
    assert_eq!(
        body["ws_url"],
        json!(format!("ws://{addr}/env-ws/?dfwskey={key}"))
    );
    assert_eq!(register(addr, "wrong-key-0123456789abcdef").await.0, 401);
    assert_eq!(get(addr, "/").await, 200);
    let mut client = connect(body["ws_url"].as_str().unwrap()).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami, json!({"anonymous": true, "user": null}));
}

#[tokio::test]
async fn switches_and_lists_come_from_the_environment() {
    let mut command = switchboard(&["serve"]);
    command
        .env("SWITCHBOARD_BIND", "127.0.0.1:0")
        .env("SWITCHBOARD_API_KEY", "env-key-0123456789abcdef")
        .env("SWITCHBOARD_REFUSE_UNKNOWN_WINDOWS", "true")
        .env(
            "SWITCHBOARD_ALLOWED_ORIGINS",
            "https://a.example,https://b.example",
        );
    let mut process = Process::spawn(command);
    let addr = process.listening();
    let (status, body) = register(addr, "env-key-0123456789abcdef").await;
    assert_eq!(status, 201, "{body}");
    let ws_url = body["ws_url"].as_str().unwrap();
    assert_eq!(upgrade_status(ws_url, Some("https://a.example")).await, 101);
    assert_eq!(upgrade_status(ws_url, Some("https://b.example")).await, 101);
    assert_eq!(
        upgrade_status(ws_url, Some("https://evil.example")).await,
        403
    );
    // Not a browser: an upgrade without `Origin` is not refused for it (PROTOCOL.md §3.3).
    assert_eq!(upgrade_status(ws_url, None).await, 101);
    // Unknown windows are refused.
    let anonymous = format!("ws://{addr}/ws/");
    assert_eq!(
        upgrade_status(&anonymous, Some("https://a.example")).await,
        403
    );
}

#[test]
fn a_port_in_use_exits_with_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stdout, stderr) = run(switchboard(&["serve", "--bind", &addr]));
    assert_eq!(status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(!stdout.contains("listening on http://"), "{stdout}");
}

#[tokio::test]
async fn options_come_from_a_config_file_and_the_command_line_wins() {
    let file = TempFile::new(
        "bind = \"127.0.0.1:0\"\napi_key = \"file-key-0123456789abcdef\"\nws_path = \"/socket/\"\n",
    );

    // The file alone.
    let mut process = Process::spawn(switchboard(&["serve", "--config", file.path()]));
    let addr = process.listening();
    let (status, body) = register(addr, "file-key-0123456789abcdef").await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap();
    let ws_url = format!("ws://{addr}/socket/?dfwskey={key}");
    assert_eq!(body["ws_url"], json!(ws_url));
    let client = connect(&ws_url).await;
    client.close().await;
    // The default path is not served any more.
    assert!(tokio_tungstenite::connect_async(format!("ws://{addr}/ws/"))
        .await
        .is_err());
    drop(process);

    // The command line overrides the file; the environment does too.
    let mut command = switchboard(&[
        "serve",
        "--config",
        file.path(),
        "--api-key",
        "cli-key-0123456789abcdef",
        "--ws-path",
        "/live/",
    ]);
    command.env("SWITCHBOARD_CONFIG", "/nonexistent/ignored.toml");
    let mut process = Process::spawn(command);
    let addr = process.listening();
    assert_eq!(register(addr, "file-key-0123456789abcdef").await.0, 401);
    let (status, body) = register(addr, "cli-key-0123456789abcdef").await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap();
    assert_eq!(
        body["ws_url"],
        json!(format!("ws://{addr}/live/?dfwskey={key}"))
    );
    drop(process);

    let mut command = switchboard(&["serve"]);
    command
        .env("SWITCHBOARD_CONFIG", file.path())
        .env("SWITCHBOARD_API_KEY", "env-key-0123456789abcdef");
    let mut process = Process::spawn(command);
    let addr = process.listening();
    assert_eq!(register(addr, "file-key-0123456789abcdef").await.0, 401);
    let (status, body) = register(addr, "env-key-0123456789abcdef").await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["ws_url"].as_str().unwrap().contains("/socket/"),
        "{body}"
    );
}

#[test]
fn a_bad_configuration_exits_with_2_and_says_why() {
    let unknown = TempFile::new("bind = \"127.0.0.1:0\"\nbnid = \"127.0.0.1:0\"\n");
    let short_key = TempFile::new("bind = \"127.0.0.1:0\"\napi_key = \"short\"\n");
    let not_toml = TempFile::new("bind = \n");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["serve", "--config", unknown.path()],
            vec!["bnid", unknown.path()],
        ),
        (vec!["serve", "--config", short_key.path()], vec!["api_key"]),
        (
            vec!["serve", "--bind", "127.0.0.1:0", "--api-key", "short"],
            vec!["api_key"],
        ),
        (
            vec!["serve", "--config", not_toml.path()],
            vec![not_toml.path()],
        ),
        (
            vec!["serve", "--config", "/nonexistent/switchboard.toml"],
            vec!["/nonexistent/switchboard.toml"],
        ),
        (
            vec!["serve", "--bind", "127.0.0.1:0", "--ws-path", "socket"],
            vec!["ws_path"],
        ),
        (
            vec!["serve", "--bind", "127.0.0.1:0", "--max-frame-bytes", "10"],
            vec!["max_frame_bytes"],
        ),
        (
            vec!["serve", "--bind", "127.0.0.1:0", "--log-format", "xml"],
            vec!["--log-format", "xml"],
        ),
        (vec!["serve", "--bnid", "127.0.0.1:0"], vec!["--bnid"]),
        (vec![], vec!["Usage"]),
    ];
    for (args, needles) in cases {
        let (status, stdout, stderr) = run(switchboard(&args));
        assert_eq!(status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: {needle:?} in:\n{stderr}"
            );
        }
        assert!(!stdout.contains("listening on"), "{args:?}: {stdout}");
    }
}

// ---------------------------------------------------------------------------------------------
// Logging

#[tokio::test]
async fn json_log_format_writes_json_lines() {
    let mut process = Process::spawn(switchboard(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]));
    let addr = process.listening();
    let ready = process.wait_line(|_, line| {
        let value: Value = serde_json::from_str(line).ok()?;
        (value["fields"]["message"] == json!("switchboard ready")).then_some(value)
    });
    assert_eq!(ready["level"], json!("INFO"), "{ready}");
    assert_eq!(ready["fields"]["addr"], json!(addr.to_string()), "{ready}");
    assert!(ready["timestamp"].is_string(), "{ready}");
}

#[tokio::test]
async fn window_keys_are_never_logged_in_full() {
    let mut command = switchboard(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--demo",
        "--api-key",
        "log-key-0123456789abcdef",
        "--log-format",
        "json",
    ]);
    command.env("RUST_LOG", "switchboard=trace,info");
    let mut process = Process::spawn(command);
    let addr = process.listening();
    let (status, body) = register(addr, "log-key-0123456789abcdef").await;
    assert_eq!(status, 201);
    let key = body["window_key"].as_str().unwrap().to_owned();
    let mut client = connect(body["ws_url"].as_str().unwrap()).await;
    client.ok("demo.whoami", json!({})).await;
    let _ = client.request("demo.nope", json!({})).await;
    client.send_text("not json").await;
    client.recv().await;
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/trigger"))
        .bearer_auth("log-key-0123456789abcdef")
        .json(&json!({"signal": "t.x", "to": [{"window": key}, "server"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    client.signal("t.x").await;
    let response = reqwest::Client::new()
        .delete(format!("http://{addr}/api/v1/windows/{key}"))
        .bearer_auth("log-key-0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(client.closed().await, CloseCode::Policy);
    // The old key again, now unknown.
    let client = connect(&format!("ws://{addr}/ws/?dfwskey={key}")).await;
    client.close().await;
    process.drain_for(Duration::from_millis(300));
    let transcript = process.transcript();
    assert!(
        !transcript.contains(&key),
        "the full key is logged:\n{transcript}"
    );
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[tokio::test]
async fn sigterm_closes_windows_with_1001_and_exits_0() {
    let mut process = Process::spawn(switchboard(&["serve", "--bind", "127.0.0.1:0", "--demo"]));
    let addr = process.listening();
    // A page's window, connected.
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(response.status(), 200);
    let key = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .find_map(|v| v.to_str().unwrap().strip_prefix("dfwskey="))
        .and_then(|v| v.split(';').next())
        .expect("a dfwskey cookie")
        .to_owned();
    let mut client = connect(&format!("ws://{addr}/ws/?dfwskey={key}")).await;
    assert_eq!(
        client.ok("demo.whoami", json!({})).await["anonymous"],
        json!(false)
    );
    let mut anonymous = connect(&format!("ws://{addr}/ws/")).await;

    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(process.pid().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(client.closed().await, CloseCode::Away);
    assert_eq!(anonymous.closed().await, CloseCode::Away);
    let started = Instant::now();
    let status = process.exit();
    assert_eq!(status.code(), Some(0), "{}", process.transcript());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn sigterm_lets_running_handlers_finish_before_closing_windows() {
    let mut process = Process::spawn(switchboard(&["serve", "--bind", "127.0.0.1:0", "--demo"]));
    let addr = process.listening();
    let mut client = connect(&format!("ws://{addr}/ws/")).await;
    client
        .send_json(json!({"signal": "demo.slow", "opts": {"ms": 1500}, "id": "slow"}))
        .await;
    // Let the handler start before the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(process.pid().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(
        client.recv().await,
        json!({"reply_to": "slow", "ok": true, "result": "done"}),
        "the running handler finished and its reply was delivered"
    );
    assert_eq!(client.closed().await, CloseCode::Away);
    let status = process.exit();
    assert_eq!(status.code(), Some(0), "{}", process.transcript());
}

#[tokio::test]
async fn sigterm_or_sigint_without_windows_exits_0() {
    for signal in ["-TERM", "-INT"] {
        let mut process = Process::spawn(switchboard(&["serve", "--bind", "127.0.0.1:0"]));
        let addr = process.listening();
        assert_eq!(get(addr, "/healthz").await, 200);
        let kill = Command::new("kill")
            .arg(signal)
            .arg(process.pid().to_string())
            .status()
            .unwrap();
        assert!(kill.success());
        let status = process.exit();
        assert_eq!(status.code(), Some(0), "{signal}: {}", process.transcript());
    }
}

/// Whatever the clients do, SIGTERM ends the process within `shutdown_timeout_secs` plus a
/// few seconds: a handler that outlives the deadline, a window that stopped reading with
/// frames waiting, a window that never answers the close, an idle keep-alive HTTP
/// connection, and a request whose head never ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_within_the_shutdown_timeout_whatever_the_clients_do() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);
    /// What the process may take beyond `shutdown_timeout_secs` (PROTOCOL.md §5.5).
    const BEYOND: Duration = Duration::from_secs(4);
    let key = "shutdown-test-key-0123456789abcdef";
    let mut process = Process::spawn(switchboard(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--demo",
        "--api-key",
        key,
        "--shutdown-timeout-secs",
        "2",
        // Out of the way: the stalled window must still be open at SIGTERM.
        "--outbound-queue-bytes",
        "100000000",
        "--write-timeout-secs",
        "600",
    ]));
    let addr = process.listening();
    let http = reqwest::Client::new();
    let api = |path: &str| {
        http.post(format!("http://{addr}/api/v1{path}"))
            .bearer_auth(key)
    };
    let registered: Value = api("/windows")
        .json(&json!({"topics": ["flood"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let window = registered["window_key"].as_str().unwrap().to_owned();

    // A window that stops reading, with a small receive buffer: what is sent to it next
    // stays in the server's socket buffer and queue.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}/ws/?dfwskey={window}");
    let (stalled, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    // A window that reads nothing more and never answers the close.
    let (silent, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/"))
        .await
        .unwrap();
    // A handler that outlives the deadline.
    let mut caller = connect(&format!("ws://{addr}/ws/")).await;
    caller
        .send_json(json!({"signal": "demo.slow", "opts": {"ms": 10_000}, "id": "slow"}))
        .await;
    // 16 MiB for the stalled window: far more than the socket buffers take.
    let pad = "s".repeat(64 * 1024);
    for n in 0..256 {
        let answer = api("/trigger")
            .json(&json!({"signal": "flood", "to": [{"topic": "flood"}], "opts": {"n": n, "pad": pad}}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202);
    }
    // An idle keep-alive connection, after one request.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: switchboard\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let read = idle.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    // A request whose head never ends.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: switch")
        .await
        .unwrap();

    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(process.pid().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let status = process.exit();
        (status, process.transcript())
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(status.0.code(), Some(0), "{}", status.1);
    assert!(
        took < SHUTDOWN_TIMEOUT + BEYOND,
        "exited {took:?} after SIGTERM; output:\n{}",
        status.1
    );
    eprintln!("exited {took:?} after SIGTERM");
    drop((stalled, silent, idle, half));
}
