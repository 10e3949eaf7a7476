//! Limits that protect a node from abusive or broken clients: token buckets for rates, and
//! counters of simultaneous connections per client address and per user.

mod bucket;
mod connections;

pub use bucket::TokenBucket;
pub use connections::{ConnectionGuard, ConnectionLimits};
