//! Switchboard: a real-time signal and topic server.
//!
//! Browser windows and server code exchange named **signals** over one websocket per window;
//! server code groups windows into **topics** to fan signals out. The wire contract is
//! `PROTOCOL.md`.
//!
//! # Layout
//!
//! Dependencies point one way, from transports down to the broker:
//!
//! - [`identity`]: the window key and the identity behind a window (`WindowInfo`).
//! - [`protocol`]: frames, error codes and close codes of the wire contract.
//! - [`broker`]: the `Broker` trait (fan-out across nodes, window registrations) and its
//!   in-memory implementation.
//! - [`topic`]: the `TopicRegistry` actor (who is in which topic on this node) and the bounded
//!   per-connection `Outbox`.
//! - [`signal`]: the `SignalRouter` (handlers, permissions, queues, triggers) and the
//!   `#[signal]` handler interface.
//! - [`limit`]: token buckets and per-address/per-user connection counts.
//! - [`window`]: the `Window` actor, one per websocket connection.
//! - [`http`]: the HTTP surface: websocket upgrade, HTTP API, health, metrics, view helpers.
//! - [`server`]: assembles everything into a running server.
//! - [`config`]: configuration from TOML, command line and environment.
//! - [`demo`]: the demo application mounted by `switchboard serve --demo`.

// Lets `#[signal]`'s generated `::switchboard::...` paths resolve inside this crate (the demo).
extern crate self as switchboard;

pub mod broker;
pub mod config;
pub mod demo;
pub mod http;
pub mod identity;
pub mod limit;
pub mod metrics;
pub mod protocol;
pub mod server;
pub mod signal;
pub mod topic;
pub mod window;

#[doc(hidden)]
pub mod __private;

pub use identity::{User, WindowInfo, WindowKey};
pub use server::Server;
pub use signal::{SignalContext, SignalError, SignalRouter, To};
pub use switchboard_macros::signal;
