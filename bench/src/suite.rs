//! `suite`: starts each server in turn on loopback, runs every scenario against it, and
//! writes one results file.
//!
//! Every run gets a fresh server process, so memory baselines are not polluted by earlier
//! runs. Peers: `switchboard` (release build, in-memory broker, limits opened up for load),
//! `floor` (`bench-floor`, raw tokio-tungstenite), `floor-same-bytes` (the floor sending
//! frames as long as Switchboard's), `channels-memory` and `channels-redis` (Django Channels
//! on daphne, bench/peers/channels, the latter on a private redis-server).
//!
//! The rows the targets compare with the floor (fan-out bursts, calls) are measured in
//! several alternating rounds ([`Options::rounds`]): one run moves by 15–30% on a shared
//! machine, more than the margins the targets judge, so the report compares medians.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::procinfo::machine;
use crate::scenario::{calls, capacity, churn, fanout, idle};
use crate::target::Target;

/// The API key the suite gives Switchboard.
const API_KEY: &str = "switchboard-bench-api-key-0123456789";

/// Longest wait for a server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest round size below 20,000 windows that one process can hold on this machine
/// class: the hard open-file limit is 20,000 per process and the sandbox cannot raise it
/// (no CAP_SYS_RESOURCE), and the bench's own process also needs sockets for its HTTP
/// client. The 20,000-window target is measured here.
pub const NEAR_20K: usize = 19_500;

/// A server the suite can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// This project, release build.
    Switchboard,
    /// This project with its topic history turned off (`--history-size 0`): what history
    /// costs.
    SwitchboardNoHistory,
    /// The raw tokio-tungstenite broadcast server.
    Floor,
    /// The same floor, sent triggers whose frames are as long as Switchboard's: it
    /// broadcasts a trigger's body as is, so the body carries a `signal_id` and an `offset`
    /// as Switchboard's frames do. Fan-out only: it sets apart what the wire contract's
    /// bytes cost (the bench reads and parses every frame on the same two cores) from what
    /// the transport costs.
    FloorSameBytes,
    /// Django Channels with the in-memory channel layer.
    ChannelsMemory,
    /// Django Channels with channels_redis.
    ChannelsRedis,
}

impl Peer {
    /// Parses a peer name as used in reports.
    pub fn parse(name: &str) -> Result<Peer, String> {
        match name {
            "switchboard" => Ok(Peer::Switchboard),
            "switchboard-nohistory" => Ok(Peer::SwitchboardNoHistory),
            "floor" => Ok(Peer::Floor),
            "floor-same-bytes" => Ok(Peer::FloorSameBytes),
            "channels-memory" => Ok(Peer::ChannelsMemory),
            "channels-redis" => Ok(Peer::ChannelsRedis),
            other => Err(format!("unknown peer {other:?}")),
        }
    }

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Switchboard => "switchboard",
            Peer::SwitchboardNoHistory => "switchboard-nohistory",
            Peer::Floor => "floor",
            Peer::FloorSameBytes => "floor-same-bytes",
            Peer::ChannelsMemory => "channels-memory",
            Peer::ChannelsRedis => "channels-redis",
        }
    }

    fn is_channels(self) -> bool {
        matches!(self, Peer::ChannelsMemory | Peer::ChannelsRedis)
    }

    /// Whether this peer's runs of a compared row are repeated in rounds: Django Channels'
    /// runs take minutes and its ratios are in the hundreds, so it runs once.
    fn in_rounds(self) -> bool {
        !self.is_channels()
    }
}

/// One scenario with its parameters.
#[derive(Clone, Debug)]
pub enum Scenario {
    /// See [`idle`].
    Idle(idle::Params),
    /// See [`fanout`].
    Fanout(fanout::Params),
    /// See [`calls`].
    Calls(calls::Params),
    /// See [`churn`].
    Churn(churn::Params),
    /// See [`capacity`] (Switchboard only: several nodes on Redis).
    Capacity(capacity::Params),
}

impl Scenario {
    fn name(&self) -> &'static str {
        match self {
            Scenario::Idle(_) => "idle",
            Scenario::Fanout(_) => "fanout",
            Scenario::Calls(_) => "calls",
            Scenario::Churn(_) => "churn",
            Scenario::Capacity(_) => "capacity",
        }
    }

    fn params(&self) -> Value {
        match self {
            Scenario::Idle(p) => json!({"windows": p.windows, "hold_secs": p.hold_secs}),
            Scenario::Fanout(p) => {
                json!({"windows": p.windows, "triggers": p.triggers, "rate": p.rate})
            }
            Scenario::Calls(p) => {
                json!({"windows": p.windows, "seconds": p.seconds, "in_flight": p.in_flight,
                    "signal": p.signal})
            }
            Scenario::Churn(p) => json!({"clients": p.clients, "seconds": p.seconds}),
            Scenario::Capacity(p) => {
                json!({"windows": p.windows, "nodes": p.nodes, "triggers": p.triggers})
            }
        }
    }

    /// Whether the targets compare this row with the floor (fan-out bursts and calls): its
    /// runs are repeated in alternating rounds.
    fn compared_in_rounds(&self) -> bool {
        match self {
            Scenario::Fanout(p) => p.rate.is_none(),
            Scenario::Calls(_) => true,
            Scenario::Idle(_) | Scenario::Churn(_) | Scenario::Capacity(_) => false,
        }
    }

    /// Runs against `target`.
    pub async fn run(&self, target: &Target) -> Result<Value, String> {
        match self {
            Scenario::Idle(p) => idle::run(target, p).await,
            Scenario::Fanout(p) => fanout::run(target, p).await,
            Scenario::Calls(p) => calls::run(target, p).await,
            Scenario::Churn(p) => churn::run(target, p).await,
            Scenario::Capacity(_) => Err("capacity runs through `run_capacity`".into()),
        }
    }
}

/// Where the suite finds the servers and what it runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Peers to measure.
    pub peers: Vec<Peer>,
    /// Small sizes for CI: every scenario once, failing on any loss or error.
    pub smoke: bool,
    /// Only these scenarios (all when empty).
    pub only: Vec<String>,
    /// How many times the rows compared with the floor (fan-out bursts, calls) are
    /// measured, the peers taking turns to go first; 1 measures every row once.
    pub rounds: u32,
    /// The `switchboard` binary.
    pub switchboard_bin: PathBuf,
    /// The `bench-floor` binary.
    pub floor_bin: PathBuf,
    /// The Django Channels peer folder (with run.sh).
    pub channels_dir: PathBuf,
    /// Results file to write.
    pub out: PathBuf,
}

/// The scenarios of a full run for `peer` (Django Channels gets fewer triggers where the
/// full count would take minutes per run; the report compares rates, not totals).
fn full_plan(peer: Peer) -> Vec<Scenario> {
    if peer == Peer::FloorSameBytes {
        return [(1_000, 500), (10_000, 100), (NEAR_20K, 50)]
            .into_iter()
            .map(|(windows, triggers)| {
                Scenario::Fanout(fanout::Params {
                    windows,
                    triggers,
                    rate: None,
                })
            })
            .collect();
    }
    let mut plan = vec![
        Scenario::Idle(idle::Params {
            windows: 1_000,
            hold_secs: 2.0,
            sample_secs: None,
        }),
        Scenario::Fanout(fanout::Params {
            windows: 1_000,
            triggers: if peer.is_channels() { 20 } else { 500 },
            rate: None,
        }),
    ];
    // Daphne accepts connections ever more slowly as they add up (7,370 after three
    // minutes at 100% CPU in the first full run), so Django Channels is measured at 1,000
    // windows only; the larger sizes would take most of an hour per run.
    if !peer.is_channels() {
        plan.push(Scenario::Idle(idle::Params {
            windows: NEAR_20K,
            hold_secs: 5.0,
            sample_secs: None,
        }));
        plan.push(Scenario::Fanout(fanout::Params {
            windows: 10_000,
            triggers: 100,
            rate: None,
        }));
        plan.push(Scenario::Fanout(fanout::Params {
            windows: NEAR_20K,
            triggers: 50,
            rate: None,
        }));
        // The latency target's point, then the same windows at a fifth of the load, and
        // a thousand windows at the target's rate: where latency stands when the two
        // cores are not saturated by the server and the bench together.
        for (windows, rate) in [(10_000, 100.0), (10_000, 20.0), (1_000, 100.0)] {
            plan.push(Scenario::Fanout(fanout::Params {
                windows,
                triggers: (rate * 5.0) as u64,
                rate: Some(rate),
            }));
        }
    }
    // The target's round trip (one frame back, as every peer answers), then `demo.echo`'s
    // two frames back.
    for signal in ["demo.mirror", "demo.echo"] {
        plan.push(Scenario::Calls(calls::Params {
            windows: 1_000,
            seconds: 10.0,
            in_flight: 1,
            signal: signal.into(),
        }));
    }
    plan.push(Scenario::Churn(churn::Params {
        clients: 100,
        seconds: 10.0,
    }));
    if peer == Peer::Switchboard {
        // One process may open 20,000 files here: 100,000 windows take six nodes (and six
        // bench workers), about 16,700 each.
        plan.push(Scenario::Capacity(capacity::Params {
            windows: 100_000,
            nodes: 6,
            triggers: 5,
        }));
    }
    plan
}

/// The scenarios of a smoke run.
fn smoke_plan(peer: Peer) -> Vec<Scenario> {
    if peer == Peer::FloorSameBytes {
        return vec![Scenario::Fanout(fanout::Params {
            windows: 200,
            triggers: 20,
            rate: None,
        })];
    }
    let mut plan = vec![
        Scenario::Idle(idle::Params {
            windows: 200,
            hold_secs: 0.5,
            sample_secs: None,
        }),
        Scenario::Fanout(fanout::Params {
            windows: 200,
            triggers: 20,
            rate: None,
        }),
        Scenario::Fanout(fanout::Params {
            windows: 200,
            triggers: 50,
            rate: Some(100.0),
        }),
        Scenario::Calls(calls::Params {
            windows: 50,
            seconds: 2.0,
            in_flight: 2,
            signal: "demo.echo".into(),
        }),
        Scenario::Churn(churn::Params {
            clients: 20,
            seconds: 2.0,
        }),
    ];
    if peer == Peer::Switchboard {
        plan.push(Scenario::Capacity(capacity::Params {
            windows: 300,
            nodes: 2,
            triggers: 3,
        }));
    }
    plan
}

/// Why a smoke run's metrics are not acceptable, if they are not.
fn smoke_failure(scenario: &Scenario, metrics: &Value) -> Option<String> {
    let n = |key: &str| metrics[key].as_u64().unwrap_or(u64::MAX);
    let bad = match scenario {
        Scenario::Idle(p) => n("connected") != p.windows as u64,
        Scenario::Fanout(_) => {
            n("lost") != 0
                || n("duplicates") != 0
                || n("trigger_errors") != 0
                || n("failed_connects") != 0
                || n("received") == 0
        }
        Scenario::Calls(_) => {
            n("errors") != 0 || n("failed_connects") != 0 || n("round_trips") == 0
        }
        Scenario::Churn(_) => n("errors") != 0 || n("cycles") == 0,
        Scenario::Capacity(p) => {
            n("connected") != p.windows as u64 || n("lost") != 0 || n("received") == 0
        }
    };
    bad.then(|| format!("{} failed its smoke check: {metrics}", scenario.name()))
}

/// One run of the suite: a scenario against a peer, and its round when its row is
/// measured in rounds.
#[derive(Clone, Debug)]
struct Planned {
    /// The server measured.
    peer: Peer,
    /// What is measured.
    scenario: Scenario,
    /// 1-based; `None` for a row measured once.
    round: Option<u32>,
}

/// Every run of the suite, in order: each scenario for every peer that has it, one peer
/// right after the other (in the order of `--peers`), then the next scenario. The peers of
/// one row are measured seconds apart, not a whole plan apart: this shared machine's speed
/// drifts by 15–30% over minutes, and a row compares peers. A row compared with the floor
/// is measured `rounds` times in a row; each round starts with the next peer (round 2
/// starts with the second), so no peer always runs first or last. Django Channels' runs
/// of such a row come once, after the rounds.
fn schedule(options: &Options) -> Vec<Planned> {
    let mut rows: Vec<(String, Vec<(Peer, Scenario)>)> = Vec::new();
    for &peer in &options.peers {
        let plan = if options.smoke {
            smoke_plan(peer)
        } else {
            full_plan(peer)
        };
        for scenario in plan {
            if !options.only.is_empty() && !options.only.iter().any(|o| o == scenario.name()) {
                continue;
            }
            let row = format!("{} {}", scenario.name(), scenario.params());
            match rows.iter_mut().find(|(key, _)| *key == row) {
                Some((_, runs)) => runs.push((peer, scenario)),
                None => rows.push((row, vec![(peer, scenario)])),
            }
        }
    }
    let mut planned = Vec::new();
    for (_, runs) in rows {
        let repeated = options.rounds > 1 && runs[0].1.compared_in_rounds();
        let (turns, once): (Vec<_>, Vec<_>) = runs
            .into_iter()
            .partition(|(peer, _)| repeated && peer.in_rounds());
        for round in 1..=if turns.is_empty() { 0 } else { options.rounds } {
            let first = (round as usize - 1) % turns.len();
            for (peer, scenario) in turns[first..].iter().chain(&turns[..first]) {
                planned.push(Planned {
                    peer: *peer,
                    scenario: scenario.clone(),
                    round: Some(round),
                });
            }
        }
        planned.extend(once.into_iter().map(|(peer, scenario)| Planned {
            peer,
            scenario,
            round: None,
        }));
    }
    planned
}

/// Runs the suite; returns an error when a smoke check failed.
pub async fn run(options: &Options) -> Result<(), String> {
    let limit = crate::procinfo::raise_nofile_limit();
    eprintln!("open-file limit: {limit}");
    let git = git_describe();
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for Planned {
        peer,
        scenario,
        round,
    } in schedule(options)
    {
        let of = round.map(|r| format!(" (round {r} of {})", options.rounds));
        eprintln!(
            "{} {} {}{}",
            peer.name(),
            scenario.name(),
            scenario.params(),
            of.unwrap_or_default()
        );
        let started = Instant::now();
        let outcome = match &scenario {
            Scenario::Capacity(params) => run_capacity(options, params).await,
            _ => run_one(peer, options, &scenario).await,
        };
        let mut run = json!({
            "scenario": scenario.name(),
            "peer": peer.name(),
            "params": scenario.params(),
        });
        if let Some(round) = round {
            run["round"] = json!(round);
        }
        match outcome {
            Ok(metrics) => {
                eprintln!("  -> {metrics} ({:.1} s)", started.elapsed().as_secs_f64());
                if options.smoke {
                    failures.extend(smoke_failure(&scenario, &metrics));
                }
                run["metrics"] = metrics;
            }
            Err(e) => {
                eprintln!("  -> failed: {e}");
                failures.push(format!("{} {}: {e}", peer.name(), scenario.name()));
                run["error"] = json!(e);
            }
        }
        runs.push(run);
        write(options, git.as_deref(), &runs)?;
    }
    if options.smoke && !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    Ok(())
}

/// Runs `scenario` against a fresh server of `peer`.
async fn run_one(peer: Peer, options: &Options, scenario: &Scenario) -> Result<Value, String> {
    // One retry: a server that did not come up once (seen once with daphne on
    // channels_redis, without a word on stderr) gets a second chance.
    let server = Running::start(peer, options).or_else(|first| {
        eprintln!("  {} did not start ({first}); retrying once", peer.name());
        std::thread::sleep(Duration::from_secs(2));
        Running::start(peer, options)
    })?;
    let result = scenario.run(&server.target).await;
    drop(server);
    result
}

/// Writes the results file (after every run, so an interrupted suite keeps its results).
/// `git` is read once at the start: the results file itself changes the tree.
fn write(options: &Options, git: Option<&str>, runs: &[Value]) -> Result<(), String> {
    let results = json!({
        "version": 1,
        "started": utc_now(),
        "git": git,
        "smoke": options.smoke,
        "rounds": options.rounds,
        "machine": machine(),
        "runs": runs,
    });
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&results).expect("results serialise");
    std::fs::write(&options.out, text + "\n").map_err(|e| format!("{}: {e}", options.out.display()))
}

/// The commit measured (with `-dirty` when the tree has changes).
fn git_describe() -> Option<String> {
    let out = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The current UTC time, RFC 3339 to the second.
fn utc_now() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A server process started for one run; killed when dropped.
struct Running {
    /// Where and how to reach it.
    target: Target,
    /// The server process (its pid is the target's pid).
    child: Child,
    /// A private redis-server (channels-redis only).
    redis: Option<Child>,
}

impl Running {
    fn start(peer: Peer, options: &Options) -> Result<Running, String> {
        let [port, second_port] = free_ports()?;
        let addr = format!("127.0.0.1:{port}");
        let mut redis = None;
        let (mut target, child) = match peer {
            Peer::Switchboard => {
                let child = spawn(&mut switchboard_command(options, &addr))?;
                (Target::switchboard(&addr, API_KEY), child)
            }
            Peer::SwitchboardNoHistory => {
                let mut command = switchboard_command(options, &addr);
                command.args(["--history-size", "0"]);
                let child = spawn(&mut command)?;
                (Target::switchboard(&addr, API_KEY), child)
            }
            Peer::Floor | Peer::FloorSameBytes => {
                let http = format!("127.0.0.1:{second_port}");
                let child =
                    spawn(Command::new(&options.floor_bin).args(["--ws", &addr, "--http", &http]))?;
                wait_listening(&http)?;
                let target = match peer {
                    Peer::Floor => Target::floor(&addr, &http),
                    _ => Target::floor_same_bytes(&addr, &http),
                };
                (target, child)
            }
            Peer::ChannelsMemory | Peer::ChannelsRedis => {
                let mut command = Command::new(options.channels_dir.join("run.sh"));
                command.env("PORT", port.to_string());
                if peer == Peer::ChannelsRedis {
                    let redis_port = second_port;
                    let server = spawn(Command::new("redis-server").args([
                        "--port",
                        &redis_port.to_string(),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--bind",
                        "127.0.0.1",
                        "--maxclients",
                        "100000",
                    ]))?;
                    redis = Some(server);
                    wait_listening(&format!("127.0.0.1:{redis_port}"))?;
                    command
                        .env("LAYER", "redis")
                        .env("REDIS_URL", format!("redis://127.0.0.1:{redis_port}/0"));
                } else {
                    command.env("LAYER", "memory");
                }
                (Target::channels(peer.name(), &addr), spawn(&mut command)?)
            }
        };
        target.pid = Some(child.id());
        let mut running = Running {
            target,
            child,
            redis,
        };
        wait_listening(&addr)?;
        if let Ok(Some(status)) = running.child.try_wait() {
            return Err(format!("{} exited at start: {status}", peer.name()));
        }
        // Let the process finish starting (imports, worker threads) before baselines.
        std::thread::sleep(Duration::from_millis(500));
        Ok(running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(redis) = &mut self.redis {
            let _ = redis.kill();
            let _ = redis.wait();
        }
    }
}

/// A Switchboard node on `addr` with the demo (for `demo.echo`) and the connection and call
/// limits opened up for load (the bench connects from few addresses, as one user; the node
/// cap leaves 200 of this machine's 20,000 files for the rest, where the default leaves a
/// tenth, and the capacity scenario holds 19,500 windows per process).
fn switchboard_command(options: &Options, addr: &str) -> Command {
    let mut command = Command::new(&options.switchboard_bin);
    command
        .args(["serve", "--demo", "--bind", addr, "--api-key", API_KEY])
        .args(["--max-connections", "19800"])
        .args(["--max-connections-per-ip", "1000000"])
        .args(["--max-connections-per-user", "1000000"])
        .args(["--connections-per-second-per-ip", "1000000"])
        .args(["--connection-burst-per-ip", "1000000"])
        .args(["--calls-per-second", "1000000"])
        .args(["--call-burst", "1000000"])
        .env("RUST_LOG", "warn");
    command
}

/// Runs the capacity scenario: a private redis-server and `nodes` Switchboard nodes on it,
/// killed when done.
async fn run_capacity(options: &Options, params: &capacity::Params) -> Result<Value, String> {
    let mut children = Vec::new();
    let result = async {
        let [redis_port, _] = free_ports()?;
        children.push(spawn(Command::new("redis-server").args([
            "--port",
            &redis_port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            // Loopback only: bound to every address, it could collide with the bench's
            // client sockets on 127.0.0.2–16 left from an earlier run.
            "--bind",
            "127.0.0.1",
        ]))?);
        wait_listening(&format!("127.0.0.1:{redis_port}"))?;
        let (mut addrs, mut pids, mut baselines) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..params.nodes {
            let [port, _] = free_ports()?;
            let addr = format!("127.0.0.1:{port}");
            let mut command = switchboard_command(options, &addr);
            command.args(["--redis", &format!("redis://127.0.0.1:{redis_port}/")]);
            let child = spawn(&mut command)?;
            pids.push(child.id());
            children.push(child);
            wait_listening(&addr)?;
            baselines.push(crate::procinfo::rss_kib(pids[pids.len() - 1]).unwrap_or(0));
            addrs.push(addr);
        }
        capacity::run(&addrs, &pids, &baselines, API_KEY, params).await
    }
    .await;
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

/// Starts a server process with its output discarded (servers under load must not be
/// slowed by a terminal); errors go to the bench's stderr.
fn spawn(command: &mut Command) -> Result<Child, String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {command:?}: {e}"))
}

/// Two distinct free loopback ports (both listeners are held until both are chosen).
fn free_ports() -> Result<[u16; 2], String> {
    let bind = || TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string());
    let (first, second) = (bind()?, bind()?);
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string());
    Ok([port(&first)?, port(&second)?])
}

/// Waits until `addr` accepts TCP connections.
fn wait_listening(addr: &str) -> Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on {addr} after {START_TIMEOUT:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(peers: Vec<Peer>, only: &[&str]) -> Options {
        Options {
            peers,
            smoke: false,
            only: only.iter().map(|o| o.to_string()).collect(),
            rounds: 1,
            switchboard_bin: PathBuf::new(),
            floor_bin: PathBuf::new(),
            channels_dir: PathBuf::new(),
            out: PathBuf::new(),
        }
    }

    /// `peer scenario params` of each run, in order.
    fn order(options: &Options) -> Vec<String> {
        schedule(options)
            .iter()
            .map(|run| {
                let round = run.round.map(|r| format!(" #{r}")).unwrap_or_default();
                let (peer, s) = (run.peer, &run.scenario);
                format!("{} {} {}{round}", peer.name(), s.name(), s.params())
            })
            .collect()
    }

    #[test]
    fn the_peers_of_a_scenario_run_one_right_after_the_other() {
        let runs = order(&options(vec![Peer::Switchboard, Peer::Floor], &[]));
        let plans = full_plan(Peer::Switchboard).len() + full_plan(Peer::Floor).len();
        assert_eq!(runs.len(), plans, "every run of both plans, once");
        for pair in runs.chunks(2).take(full_plan(Peer::Floor).len()) {
            assert!(pair[0].starts_with("switchboard "), "{pair:?}");
            assert_eq!(
                pair[0].trim_start_matches("switchboard "),
                pair[1].trim_start_matches("floor "),
                "a row's peers are neighbours"
            );
        }
        // Switchboard's own scenario (capacity) still runs, once.
        assert_eq!(runs.iter().filter(|r| r.contains(" capacity ")).count(), 1);
    }

    #[test]
    fn only_keeps_the_scenarios_named() {
        let runs = order(&options(vec![Peer::Switchboard, Peer::Floor], &["calls"]));
        assert_eq!(runs.len(), 4, "{runs:?}");
        assert!(runs.iter().all(|r| r.contains(" calls ")));
    }

    #[test]
    fn rows_compared_with_the_floor_run_in_rounds_each_started_by_the_next_peer() {
        let mut opts = options(
            vec![Peer::Switchboard, Peer::Floor, Peer::ChannelsMemory],
            &["calls", "churn"],
        );
        opts.rounds = 3;
        let runs = order(&opts);
        let mirror: Vec<&str> = runs
            .iter()
            .filter(|r| r.contains("demo.mirror"))
            .map(|r| r.split(' ').next().unwrap())
            .collect();
        let rounds: Vec<String> = runs
            .iter()
            .filter(|r| r.contains("demo.mirror"))
            .map(|r| r.rsplit(' ').next().unwrap().to_owned())
            .collect();
        assert_eq!(
            mirror,
            [
                "switchboard",
                "floor",
                "floor",
                "switchboard",
                "switchboard",
                "floor",
                "channels-memory"
            ],
            "{runs:?}"
        );
        assert_eq!(rounds[..6], ["#1", "#1", "#2", "#2", "#3", "#3"]);
        assert!(!rounds[6].starts_with('#'), "Channels runs once: {runs:?}");
        // Churn is not compared in rounds: once per peer, no round.
        let churn: Vec<&String> = runs.iter().filter(|r| r.contains(" churn ")).collect();
        assert_eq!(churn.len(), 3, "{churn:?}");
        assert!(churn.iter().all(|r| !r.contains(" #")), "{churn:?}");
    }

    #[test]
    fn paced_fan_out_runs_once_and_bursts_in_rounds() {
        let mut opts = options(vec![Peer::Switchboard, Peer::Floor], &["fanout"]);
        opts.rounds = 2;
        let runs = order(&opts);
        let bursts = runs.iter().filter(|r| r.contains("\"rate\":null")).count();
        let paced = runs.iter().filter(|r| !r.contains("\"rate\":null")).count();
        let sizes = full_plan(Peer::Floor)
            .iter()
            .filter(|s| matches!(s, Scenario::Fanout(p) if p.rate.is_none()))
            .count();
        assert_eq!(bursts, sizes * 2 * 2, "{runs:?}");
        assert_eq!(paced, 3 * 2, "{runs:?}");
    }
}
