//! Compile-time behaviour of `#[signal]`: the handlers it accepts (`tests/ui/pass`) and the
//! errors it reports (`tests/ui/fail`, with their expected output in `.stderr` files).
//!
//! After a deliberate change of a message, refresh the snapshots with
//! `TRYBUILD=overwrite cargo test --test macro_ui` and review the diff.

#[test]
fn ui() {
    // trybuild builds the crate and every dependency again in a project of its own, which
    // does not inherit this workspace's `[profile.dev]`: without this, 2.3 GB of debug info
    // nobody reads (the cases only compile). This test binary runs this one test, so no
    // other thread reads the environment meanwhile.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
