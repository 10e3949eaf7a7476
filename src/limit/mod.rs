//! Limits that protect a node from abusive or broken clients, and the process from running
//! out of file descriptors: token buckets for rates, counters of simultaneous connections
//! (per node, per client address, per user), and the open-file limit the node cap derives
//! from.

mod bucket;
mod connections;
pub mod open_files;

pub use bucket::TokenBucket;
pub use connections::{ConnectionGuard, ConnectionLimits, Refused};
