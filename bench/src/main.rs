//! `switchboard-bench`: the load generator of Switchboard's benchmark suite.
//!
//! It measures servers on loopback only, bounded in count and time: `idle`, `fanout`,
//! `calls` and `churn` against one running server, or `suite` to start Switchboard, the
//! raw floor (`bench-floor`) and Django Channels in turn and run every scenario against
//! each (BENCHMARKS.md describes the method).
//!
//! # Layout
//! - `target`: the server under test as URL and frame templates, with presets;
//! - `conn`: registration, connects over several 127.0.0.x source addresses, triggers;
//! - `scan`: reading the benchmark markers out of received frames;
//! - `stats`, `procinfo`: percentiles, RSS and machine readings;
//! - `scenario/`: one file per scenario;
//! - `suite`: starting servers and writing the results file.

mod conn;
mod procinfo;
mod scan;
mod scenario;
mod stats;
mod suite;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use scenario::{calls, churn, fanout, idle};
use suite::{Peer, Scenario};
use target::{Registration, Target};

/// Load generator for Switchboard's benchmarks (loopback only).
#[derive(Parser)]
#[command(name = "switchboard-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connect N windows, hold them, report the server's RSS per window.
    Idle {
        #[command(flatten)]
        target: TargetArgs,
        /// Windows to connect.
        #[arg(long, default_value_t = 1000)]
        windows: usize,
        /// Seconds to hold before reading memory.
        #[arg(long, default_value_t = 2.0)]
        hold_secs: f64,
        /// Read every window while holding (answering pings) and sample the server's memory
        /// this often (seconds): idle memory over time.
        #[arg(long)]
        sample_secs: Option<f64>,
    },
    /// N windows in one topic, K triggers: deliveries/s, loss, latency.
    Fanout {
        #[command(flatten)]
        target: TargetArgs,
        /// Windows in the topic.
        #[arg(long, default_value_t = 1000)]
        windows: usize,
        /// Triggers to send.
        #[arg(long, default_value_t = 100)]
        triggers: u64,
        /// Triggers per second (as fast as possible when absent).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// M windows sending requests with an id: round trips/s and latency.
    Calls {
        #[command(flatten)]
        target: TargetArgs,
        /// Windows sending requests.
        #[arg(long, default_value_t = 1000)]
        windows: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Requests each window keeps in flight.
        #[arg(long, default_value_t = 1)]
        in_flight: usize,
        /// Signal called (Switchboard: `demo.mirror` answers with one frame, `demo.echo` with
        /// two; other servers answer any request with one).
        #[arg(long, default_value = "demo.echo")]
        signal: String,
    },
    /// Clients connect, heartbeat and disconnect in a loop: cycles/s and memory after.
    Churn {
        #[command(flatten)]
        target: TargetArgs,
        /// Concurrent clients.
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Start each peer in turn and run every scenario; write a results file.
    Suite(SuiteArgs),
    /// One worker of the `capacity` scenario (started by the suite, one per node).
    #[command(hide = true)]
    CapacityWorker {
        /// The node's address (host:port).
        #[arg(long)]
        addr: String,
        /// Windows to open on it.
        #[arg(long)]
        windows: usize,
        /// Broadcasts to wait for.
        #[arg(long)]
        triggers: u64,
        /// API key.
        #[arg(long, env = "SWITCHBOARD_API_KEY")]
        api_key: String,
    },
}

/// Options of `suite`.
#[derive(Args)]
struct SuiteArgs {
    /// Peers to measure (switchboard, floor, channels-memory, channels-redis).
    #[arg(long, value_delimiter = ',', default_value = "switchboard,floor")]
    peers: Vec<String>,
    /// Small sizes for CI; fails on any loss or error.
    #[arg(long)]
    smoke: bool,
    /// Only these scenarios (idle, fanout, calls, churn).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Rounds of the rows compared with the floor (fan-out bursts, calls), peers taking
    /// turns to go first [default: 5, or 2 with --smoke].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: Option<u32>,
    /// The switchboard binary.
    #[arg(long, default_value = "target/release/switchboard")]
    switchboard_bin: PathBuf,
    /// The bench-floor binary.
    #[arg(long, default_value = "target/release/bench-floor")]
    floor_bin: PathBuf,
    /// The Django Channels peer folder.
    #[arg(long, default_value = "bench/peers/channels")]
    channels_dir: PathBuf,
    /// Results file.
    #[arg(long, default_value = "bench/results/latest.json")]
    out: PathBuf,
}

impl SuiteArgs {
    fn options(self) -> Result<suite::Options, String> {
        Ok(suite::Options {
            peers: self
                .peers
                .iter()
                .map(|p| Peer::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
            smoke: self.smoke,
            only: self.only,
            rounds: self.rounds.unwrap_or(if self.smoke { 2 } else { 5 }),
            switchboard_bin: self.switchboard_bin,
            floor_bin: self.floor_bin,
            channels_dir: self.channels_dir,
            out: self.out,
        })
    }
}

/// A server preset.
#[derive(Clone, Copy, ValueEnum)]
enum Preset {
    Switchboard,
    Floor,
    Channels,
}

/// Which server to measure: a preset at an address, with any template overridden.
#[derive(Args)]
struct TargetArgs {
    /// Server preset.
    #[arg(long, value_enum, default_value = "switchboard")]
    peer: Preset,
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: String,
    /// Trigger address of the floor (host:port).
    #[arg(long, default_value = "127.0.0.1:8001")]
    http: String,
    /// API key (Switchboard).
    #[arg(long, env = "SWITCHBOARD_API_KEY", default_value = "")]
    api_key: String,
    /// Server pid, for RSS readings.
    #[arg(long)]
    pid: Option<u32>,
    /// Websocket URL template (`{key}`).
    #[arg(long)]
    ws_url: Option<String>,
    /// Trigger URL.
    #[arg(long)]
    trigger_url: Option<String>,
    /// Trigger body template (`{seq}`, `{t}`).
    #[arg(long)]
    trigger_body: Option<String>,
    /// Request frame template (`{signal}`, `{id}`, `{t}`).
    #[arg(long)]
    call_frame: Option<String>,
    /// Registration URL (set it to register windows with a server other than Switchboard).
    #[arg(long)]
    register_url: Option<String>,
    /// Registration body.
    #[arg(long, default_value = r#"{"topics":["bench"]}"#)]
    register_body: String,
    /// Do not register windows.
    #[arg(long)]
    no_register: bool,
}

impl TargetArgs {
    fn target(&self) -> Target {
        let mut t = match self.peer {
            Preset::Switchboard => Target::switchboard(&self.addr, &self.api_key),
            Preset::Floor => Target::floor(&self.addr, &self.http),
            Preset::Channels => Target::channels("channels", &self.addr),
        };
        t.pid = self.pid;
        if let Some(v) = &self.ws_url {
            t.ws_url = v.clone();
        }
        if let Some(v) = &self.trigger_url {
            t.trigger_url = v.clone();
        }
        if let Some(v) = &self.trigger_body {
            t.trigger_body = v.clone();
        }
        if let Some(v) = &self.call_frame {
            t.call_frame = v.clone();
        }
        if let Some(url) = &self.register_url {
            t.register = Some(Registration {
                url: url.clone(),
                body: self.register_body.clone(),
            });
        }
        if self.no_register {
            t.register = None;
        }
        t
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let (target, scenario) = match command {
        Command::Suite(args) => return suite::run(&args.options()?).await,
        Command::CapacityWorker {
            addr,
            windows,
            triggers,
            api_key,
        } => {
            procinfo::raise_nofile_limit();
            return scenario::capacity::worker(&addr, &api_key, windows, triggers).await;
        }
        Command::Idle {
            target,
            windows,
            hold_secs,
            sample_secs,
        } => (
            target,
            Scenario::Idle(idle::Params {
                windows,
                hold_secs,
                sample_secs,
            }),
        ),
        Command::Fanout {
            target,
            windows,
            triggers,
            rate,
        } => (
            target,
            Scenario::Fanout(fanout::Params {
                windows,
                triggers,
                rate,
            }),
        ),
        Command::Calls {
            target,
            windows,
            seconds,
            in_flight,
            signal,
        } => (
            target,
            Scenario::Calls(calls::Params {
                windows,
                seconds,
                in_flight,
                signal,
            }),
        ),
        Command::Churn {
            target,
            clients,
            seconds,
        } => (target, Scenario::Churn(churn::Params { clients, seconds })),
    };
    procinfo::raise_nofile_limit();
    let metrics = scenario.run(&target.target()).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&metrics).expect("metrics serialise")
    );
    Ok(())
}
