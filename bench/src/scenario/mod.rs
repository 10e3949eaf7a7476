//! The four scenarios. Each takes a [`Target`](crate::target::Target) and its parameters
//! and returns its metrics as JSON (the `metrics` object of a run in the results file).

pub mod calls;
pub mod capacity;
pub mod churn;
pub mod fanout;
pub mod idle;
