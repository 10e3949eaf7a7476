//! Signals: named calls between browsers and server code, and the router that dispatches them.
//!
//! A signal is a name plus a JSON object of options. Browsers call server handlers written
//! with `#[signal]`; server code (handlers, views, the HTTP API) triggers signals to windows
//! through topics. [`SignalRouter`] owns the handler table, the named handler queues, and the
//! trigger path: one `signal_id` and one serialisation per trigger, handed to the broker.
//! Signals without a Rust handler may be handled by the web application's backend over HTTP
//! (`backend.rs`, PROTOCOL.md §10).

pub mod allowed;
mod backend;
mod context;
mod deadline;
mod dispatch;
mod error;
mod handler;
mod queue;
mod router;
mod trigger;

pub use allowed::Allowed;
pub use backend::BackendSettings;
pub use context::SignalContext;
pub use error::SignalError;
pub use handler::{HandlerFuture, HandlerSpec, Opts, SignalHandler};
pub use router::{BuildError, RouterSettings, SignalRouter, SignalRouterBuilder};
pub use trigger::{Destinations, Origin, To, TriggerError};
