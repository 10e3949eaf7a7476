//! A private `redis-server` for one test: no persistence, on a free port of 127.0.0.1, killed
//! (SIGKILL) on drop. It can be killed and restarted on the same port to simulate an outage.
//!
//! Tests that need Redis FAIL when `redis-server` is missing: they never skip.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::process::Process;

/// How long `redis-server` may take to answer PING after it was started.
const START_WAIT: Duration = Duration::from_secs(10);

/// Ports tried, below the usual ephemeral range (32768-60999) so that no outgoing
/// connection can take the port while the server is down.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// The `redis-server` executable: `$REDIS_SERVER`, else the first on `PATH`.
pub fn redis_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "REDIS_SERVER={} is not a file: the Redis broker tests need redis-server and fail \
             without it.",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/local/bin".into()])
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "redis-server not found on PATH (nor in $REDIS_SERVER): the Redis broker tests \
                 need it and fail without it. Install it (Debian/Ubuntu: \
                 `apt-get install redis-server`) or set REDIS_SERVER=/path/to/redis-server."
            )
        })
}

/// A reply to a raw RESP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:42`
    Int(i64),
    /// `$n` then n bytes (lossy UTF-8), or `$-1`.
    Bulk(Option<String>),
    /// `*n` then n replies, or `*-1`.
    Array(Option<Vec<Resp>>),
}

impl Resp {
    /// The strings of an array of bulk strings (e.g. SMEMBERS, KEYS), sorted.
    pub fn strings(&self) -> Vec<String> {
        let Resp::Array(Some(items)) = self else {
            panic!("not an array: {self:?}");
        };
        let mut strings: Vec<String> = items
            .iter()
            .map(|item| match item {
                Resp::Bulk(Some(s)) | Resp::Simple(s) => s.clone(),
                other => panic!("not a string: {other:?}"),
            })
            .collect();
        strings.sort();
        strings
    }

    /// The value of an integer reply.
    pub fn int(&self) -> i64 {
        match self {
            Resp::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        }
    }
}

/// A running (or killed) private `redis-server`.
pub struct RedisServer {
    port: u16,
    process: Option<Process>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers PING.
    pub fn start() -> RedisServer {
        let mut failures = String::new();
        for _ in 0..8 {
            let port = free_port();
            match spawn(port) {
                Ok(process) => {
                    return RedisServer {
                        port,
                        process: Some(process),
                    }
                }
                Err(why) => failures.push_str(&format!("port {port}: {why}\n")),
            }
        }
        panic!("redis-server did not start:\n{failures}");
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `redis://127.0.0.1:PORT/`, for `switchboard serve --redis`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Whether it is running (started and not killed).
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// Kills it with SIGKILL (no shutdown, connections drop) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
        assert!(
            TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_err(),
            "redis-server still answers on port {} after SIGKILL",
            self.port
        );
    }

    /// Starts it again on the same port (empty: nothing was persisted) and waits for PING.
    pub fn restart(&mut self) {
        assert!(self.process.is_none(), "restart of a running redis-server");
        let deadline = Instant::now() + START_WAIT;
        loop {
            match spawn(self.port) {
                Ok(process) => {
                    self.process = Some(process);
                    return;
                }
                // The port may be held for a moment; never move to another one.
                Err(why) if Instant::now() < deadline => {
                    eprintln!(
                        "redis-server restart on {} failed, retrying: {why}",
                        self.port
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(why) => panic!("redis-server did not restart on port {}: {why}", self.port),
            }
        }
    }

    /// Sends one command with raw RESP and returns the reply.
    pub fn command(&self, args: &[&str]) -> Resp {
        let mut stream = TcpStream::connect_timeout(&self.addr(), Duration::from_secs(2))
            .unwrap_or_else(|e| panic!("connect to redis-server on {}: {e}", self.port));
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        read_reply(&mut BufReader::new(stream))
    }

    /// Its output so far, for failure messages.
    pub fn transcript(&mut self) -> String {
        self.process
            .as_mut()
            .map_or_else(|| "(killed)".into(), Process::transcript_now)
    }
}

/// A port of 127.0.0.1 nobody listens on now.
fn free_port() -> u16 {
    loop {
        let random = u16::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..2].try_into().unwrap());
        let port = PORTS.start + random % (PORTS.end - PORTS.start);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// How far above its port a cluster node listens for the cluster bus (Redis' fixed offset).
const CLUSTER_BUS_OFFSET: u16 = 10_000;

/// A free port for a cluster node whose bus port (`port + 10000`) is free too and, like the
/// port, below the ephemeral range: a bus port in that range was sometimes taken by another
/// test's outgoing connection, and the node did not start.
fn free_cluster_port() -> u16 {
    let ports = PORTS.start..(32_768 - CLUSTER_BUS_OFFSET);
    loop {
        let random = u16::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..2].try_into().unwrap());
        let port = ports.start + random % (ports.end - ports.start);
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + CLUSTER_BUS_OFFSET)).is_ok()
        {
            return port;
        }
    }
}

/// Starts `redis-server` on `port` and waits until it answers PING; on failure returns why
/// (the process is killed).
fn spawn(port: u16) -> Result<Process, String> {
    spawn_with(port, std::path::Path::new(env!("CARGO_TARGET_TMPDIR")), &[])
}

/// [`spawn`] with a working directory and extra arguments.
fn spawn_with(port: u16, dir: &std::path::Path, extra: &[&str]) -> Result<Process, String> {
    let mut command = Command::new(redis_server_path());
    command
        .args(["--save", "", "--appendonly", "no"])
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(extra)
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = Process::spawn(command);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_WAIT;
    loop {
        if ping(addr) {
            return Ok(process);
        }
        if let Some(status) = process.try_exit() {
            process.drain();
            return Err(format!("exited with {status}:\n{}", process.transcript()));
        }
        if Instant::now() > deadline {
            let transcript = process.transcript_now();
            process.kill();
            return Err(format!("no PONG within {START_WAIT:?}:\n{transcript}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a server on `addr` answers `PING` with `+PONG`.
pub fn ping(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    match BufReader::new(stream).read_line(&mut line) {
        Ok(_) => line.starts_with("+PONG"),
        Err(_) => false,
    }
}

/// Reads one RESP2 reply.
fn read_reply(reader: &mut impl BufRead) -> Resp {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a reply from redis");
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" => Resp::Simple(rest.into()),
        "-" => Resp::Error(rest.into()),
        ":" => Resp::Int(rest.parse().expect("an integer reply")),
        "$" => {
            let len: i64 = rest.parse().expect("a bulk length");
            if len < 0 {
                return Resp::Bulk(None);
            }
            let mut data = vec![0; len as usize + 2];
            reader.read_exact(&mut data).expect("a bulk string");
            data.truncate(len as usize);
            Resp::Bulk(Some(String::from_utf8_lossy(&data).into_owned()))
        }
        "*" => {
            let len: i64 = rest.parse().expect("an array length");
            if len < 0 {
                return Resp::Array(None);
            }
            Resp::Array(Some((0..len).map(|_| read_reply(reader)).collect()))
        }
        other => panic!("not a RESP reply: {other}{rest}"),
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }
}

/// A private three-node Redis Cluster (no replicas), every slot assigned, killed on drop.
pub struct RedisCluster {
    /// Its nodes.
    nodes: Vec<RedisServer>,
    /// Their working directory (cluster state files), removed on drop.
    dir: PathBuf,
}

impl RedisCluster {
    /// Starts three cluster-enabled servers, joins them with `redis-cli --cluster create`, and
    /// waits until every node reports `cluster_state:ok`.
    pub fn start() -> RedisCluster {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("redis-cluster-{}", uuid::Uuid::new_v4().simple()));
        let mut nodes = Vec::new();
        for index in 0..3 {
            let node_dir = dir.join(index.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let port = free_cluster_port();
            let extra = [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ];
            let process = spawn_with(port, &node_dir, &extra)
                .unwrap_or_else(|why| panic!("cluster node on {port} did not start: {why}"));
            nodes.push(RedisServer {
                port,
                process: Some(process),
            });
        }
        let cli = redis_server_path().with_file_name("redis-cli");
        assert!(
            cli.is_file(),
            "redis-cli not found next to redis-server ({}): the Redis Cluster test needs it",
            cli.display()
        );
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let output = Command::new(&cli)
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = RedisCluster { nodes, dir };
        let deadline = Instant::now() + START_WAIT;
        while !cluster.nodes.iter().all(|node| {
            matches!(node.command(&["CLUSTER", "INFO"]), Resp::Bulk(Some(info)) if info.contains("cluster_state:ok"))
        }) {
            assert!(Instant::now() < deadline, "the Redis Cluster never reached state ok");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    /// The seed URLs, comma-separated, for `switchboard serve --redis-cluster --redis`.
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(RedisServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut process) = node.process.take() {
                process.kill();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
