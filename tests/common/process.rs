//! Child processes driven by the tests: the real `switchboard` binary (and `redis-server`),
//! their output read line by line, killed and reaped however the test ends.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary built by Cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// How long a child process may take to start or stop.
pub const PROCESS_WAIT: Duration = Duration::from_secs(15);

/// Environment variables the binary reads; cleared so the tests' environment cannot leak in.
pub const ENV_VARS: &[&str] = &[
    "SWITCHBOARD_CONFIG",
    "SWITCHBOARD_BIND",
    "SWITCHBOARD_API_KEY",
    "SWITCHBOARD_DEMO",
    "SWITCHBOARD_LOG_FORMAT",
    "SWITCHBOARD_WS_PATH",
    "SWITCHBOARD_PUBLIC_WS_URL",
    "SWITCHBOARD_WINDOW_TTL_SECS",
    "SWITCHBOARD_HANDLER_TIMEOUT_MS",
    "SWITCHBOARD_MAX_FRAME_BYTES",
    "SWITCHBOARD_OUTBOUND_QUEUE",
    "SWITCHBOARD_REFUSE_UNKNOWN_WINDOWS",
    "SWITCHBOARD_ALLOWED_ORIGINS",
    "SWITCHBOARD_WORKERS",
    "SWITCHBOARD_MAX_API_BODY_BYTES",
    "SWITCHBOARD_PING_INTERVAL_SECS",
    "SWITCHBOARD_CLIENT_TIMEOUT_SECS",
    "SWITCHBOARD_QUEUES",
    "SWITCHBOARD_REDIS_URL",
    "SWITCHBOARD_REDIS_CLUSTER",
    "SWITCHBOARD_REDIS_PREFIX",
    "SWITCHBOARD_MAX_CONNECTIONS",
    "SWITCHBOARD_TRUSTED_PROXIES",
    "SWITCHBOARD_MAX_CONNECTIONS_PER_IP",
    "SWITCHBOARD_CONNECTIONS_PER_SECOND_PER_IP",
    "SWITCHBOARD_OUTBOUND_QUEUE_BYTES",
    "SWITCHBOARD_WRITE_TIMEOUT_SECS",
    "SWITCHBOARD_SHUTDOWN_TIMEOUT_SECS",
    "RUST_LOG",
];

/// The binary with a clean environment and piped output.
pub fn switchboard(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ENV_VARS {
        command.env_remove(var);
    }
    // Two workers are plenty and keep the tests light.
    command.env("SWITCHBOARD_WORKERS", "2");
    command
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A child process that is killed (SIGKILL) and reaped however the test ends.
pub struct Process {
    child: Child,
    /// Lines from both streams, as they come.
    lines: mpsc::Receiver<(Stream, String)>,
    /// Every line read so far.
    seen: Vec<(Stream, String)>,
}

impl Process {
    /// Starts `command`, whose stdout and stderr must be piped.
    pub fn spawn(mut command: Command) -> Process {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{program} does not start: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        for (stream, reader) in [
            (Stream::Stdout, Box::new(stdout) as Box<dyn Read + Send>),
            (Stream::Stderr, Box::new(stderr)),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((stream, line)).is_err() {
                        break;
                    }
                }
            });
        }
        Process {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (without waiting).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything read so far, for failure messages.
    pub fn transcript(&self) -> String {
        self.seen
            .iter()
            .map(|(s, l)| format!("{s:?}: {l}\n"))
            .collect()
    }

    /// Everything read so far plus what is already waiting, for failure messages.
    pub fn transcript_now(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.transcript()
    }

    /// Waits for a line that `pick` accepts; returns what it returns.
    pub fn wait_line<T>(&mut self, mut pick: impl FnMut(Stream, &str) -> Option<T>) -> T {
        if let Some(found) = self.seen.iter().find_map(|(s, l)| pick(*s, l)) {
            return found;
        }
        let deadline = Instant::now() + PROCESS_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((stream, line)) => {
                    let found = pick(stream, &line);
                    self.seen.push((stream, line));
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(_) => panic!(
                    "no expected line (exit status {:?}); output:\n{}",
                    self.child.try_wait(),
                    self.transcript()
                ),
            }
        }
    }

    /// Waits for `listening on http://ADDR` on stdout, exactly, and returns ADDR.
    pub fn listening(&mut self) -> SocketAddr {
        self.wait_line(|stream, line| {
            let addr = line.strip_prefix("listening on http://")?;
            assert_eq!(stream, Stream::Stdout, "{line}");
            let addr: SocketAddr = addr
                .parse()
                .unwrap_or_else(|e| panic!("not exactly an address ({e}): {line:?}"));
            Some(addr)
        })
    }

    /// Waits for the process to exit on its own.
    pub fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PROCESS_WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not exit; output:\n{}",
                self.transcript()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The rest of the output, once the process has exited.
    pub fn drain(&mut self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
    }

    /// Keeps reading output for a while (the process keeps running).
    pub fn drain_for(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line);
        }
    }

    /// The output of one stream, read so far.
    pub fn output(&self, stream: Stream) -> String {
        self.seen
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, l)| format!("{l}\n"))
            .collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}
