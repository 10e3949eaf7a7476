//! Switchboard: a real-time signal and topic server.
//!
//! Browser windows and server code exchange named **signals** over one websocket per window;
//! server code groups windows into **topics** to fan signals out. The wire contract is
//! `PROTOCOL.md` at the root of the repository.
//!
//! A web application registers `#[signal]` handlers with a [`SignalRouter`], serves it with
//! a [`Server`], registers the window of each page it renders with
//! [`http::PageWindow`] (or through the HTTP API), and triggers signals with
//! [`SignalRouter::trigger`], [`SignalContext::trigger`] or [`http::trigger`].
//!
//! # Layout
//!
//! Dependencies point one way, from the transports down to the broker (a test,
//! `tests/layering.rs`, keeps them so):
//!
//! - `identity`: the window key, the identity behind a window ([`WindowInfo`]) and the
//!   implicit topics it implies. Depends on nothing.
//! - `protocol`: frames, error codes and close codes of the wire contract. Depends on nothing.
//! - [`config`]: the server's options, each declared once. Depends on nothing.
//! - `metrics`: the node's Prometheus metrics ([`Metrics`]).
//! - [`broker`]: the [`Broker`](broker::Broker) trait (fan-out across nodes, window
//!   registrations, topic history and recovery) and its in-memory and Redis
//!   implementations.
//! - `topic`: topic names ([`TopicName`]), window registrations ([`Windows`]), the topic
//!   registry (who is in which topic on this node: one locked state, reached by
//!   connections and the in-memory broker through a `RegistryHandle`, and the
//!   `TopicRegistry` actor for a broker's event stream) and the `History` handle
//!   (positions and recoveries for connections). Uses the broker; knows nothing of HTTP,
//!   websockets or frames.
//! - `signal`: the [`SignalRouter`] (handlers, permissions, queues, triggers) and the
//!   `#[signal]` handler interface. Uses topics and the broker.
//! - `limit`: token buckets, connection counts (per node, per address, per user) and the
//!   open-file limit the node's connection cap derives from.
//! - `window`: the `Window`, one task per websocket connection, on a socket of its own once
//!   the handshake is answered: its frame reader (read from the socket into a per-thread
//!   buffer, reassembled within the size limit), its outbox (bounded in frames, bytes and
//!   time), the writer that drains the outbox into the socket, the per-thread rescue of
//!   writers whose task the scheduler leaves waiting, and the reset of sockets that take
//!   no close frame.
//! - [`http`]: the HTTP surface: websocket endpoint and the upgrade service that hands its
//!   sockets over to windows, HTTP API, health, metrics, view helpers.
//! - `server`: assembles everything into a running [`Server`].
//! - `__private::demo`: the demo application mounted by `switchboard serve --demo` (built on
//!   the public API only; not part of it).

#![warn(missing_docs)]

// Lets `#[signal]`'s generated `::switchboard::...` paths resolve inside this crate (the demo).
extern crate self as switchboard;

pub mod broker;
pub mod config;
pub mod http;
mod identity;
mod limit;
mod metrics;
mod protocol;
mod server;
mod signal;
mod topic;
mod window;

#[doc(hidden)]
pub mod __private;

pub use config::QueueConfig;
pub use identity::{InvalidWindowKey, User, WindowInfo, WindowKey};
pub use metrics::Metrics;
pub use protocol::ErrorCode;
pub use server::{RunningServer, Server, Shutdown};
pub use signal::{
    allowed, Allowed, BackendSettings, BuildError, Destinations, HandlerFuture, HandlerSpec, Opts,
    Origin, RouterSettings, SignalContext, SignalError, SignalHandler, SignalRouter,
    SignalRouterBuilder, To, TriggerError,
};
pub use switchboard_macros::signal;
pub use topic::{
    InvalidTopic, RegisterError, RegistrationSettings, TopicName, TopicRule, TopicsError, Windows,
};
