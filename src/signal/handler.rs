//! The handler trait that `#[signal]` implements, and what a handler declares about itself.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};

use super::{Allowed, SignalContext, SignalError};

/// A call's options: the JSON object sent with the signal.
pub type Opts = Map<String, Value>;

/// The future a handler returns: its result as JSON, or a [`SignalError`].
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, SignalError>> + Send>>;

/// What a handler declares: its signal, who may call it, where it runs.
#[derive(Debug, Clone)]
pub struct HandlerSpec {
    /// The signal name it handles (several handlers may share one).
    pub path: String,
    /// The Rust path of the function, to tell handlers of one signal apart.
    pub name: &'static str,
    /// Who may call it from a browser.
    pub allowed: Allowed,
    /// The named queue it runs on; each queue has its own concurrency limit.
    pub queue: String,
    /// Its time limit; `None` uses the router's default.
    pub timeout: Option<Duration>,
}

/// A server-side signal handler. Implemented by `#[signal]`; implement it by hand only for
/// handlers built at run time.
pub trait SignalHandler: Send + Sync + 'static {
    /// What the handler declares about itself.
    fn spec(&self) -> HandlerSpec;

    /// Runs the handler: decode `opts` into its arguments, then call it.
    fn call(&self, ctx: SignalContext, opts: Opts) -> HandlerFuture;
}
