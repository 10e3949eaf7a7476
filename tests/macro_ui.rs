//! Compile-time behaviour of `#[signal]`: the handlers it accepts (`tests/ui/pass`) and the
//! errors it reports (`tests/ui/fail`, with their expected output in `.stderr` files).
//!
//! After a deliberate change of a message, refresh the snapshots with
//! `TRYBUILD=overwrite cargo test --test macro_ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
