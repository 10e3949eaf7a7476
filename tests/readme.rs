//! The README stays true to the code: its Rust example is `examples/chat_app.rs` verbatim,
//! and its configuration table is the one rendered from the option declarations.
//!
//! `UPDATE_README=1 cargo test --test readme` rewrites the table in README.md.

use switchboard::config::{reference_table, Config};

const README: &str = include_str!("../README.md");

/// The first line of the configuration table.
const TABLE_HEADER: &str = "| TOML key |";

#[test]
fn the_readme_example_is_the_compiled_example() {
    let example = include_str!("../examples/chat_app.rs");
    assert!(
        README.contains(&format!("```rust\n{example}```")),
        "README's Rust example differs from examples/chat_app.rs"
    );
}

#[test]
fn the_configuration_table_names_every_key() {
    let defaults = toml::to_string(&Config::default()).expect("the defaults serialise");
    let table: toml::Table = toml::from_str(&defaults).unwrap();
    // `api_key` and `public_ws_url` have no default value, so TOML omits them.
    let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
    keys.extend(["api_key", "public_ws_url"]);
    for key in keys {
        assert!(
            README.contains(&format!("| `{key}` |")),
            "README's configuration table lacks `{key}`"
        );
    }
}

/// Where the configuration table lies in `readme`: from its header to its last row.
fn table_span(readme: &str) -> std::ops::Range<usize> {
    let start = readme
        .find(TABLE_HEADER)
        .expect("README has a configuration table");
    let length: usize = readme[start..]
        .split_inclusive('\n')
        .take_while(|line| line.starts_with('|'))
        .map(str::len)
        .sum();
    start..start + length
}

#[test]
fn the_configuration_table_is_rendered_from_the_declarations() {
    let expected = reference_table();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md is readable");
    let span = table_span(&readme);
    if readme[span.clone()] == expected {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let mut updated = readme.clone();
        updated.replace_range(span, &expected);
        std::fs::write(path, updated).expect("README.md is writable");
        return;
    }
    panic!(
        "README's configuration table differs from the declarations in src/config/mod.rs; \
         run `UPDATE_README=1 cargo test --test readme` or paste:\n\n{expected}"
    );
}
