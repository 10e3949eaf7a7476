//! The README stays true to the code: its Rust example is `examples/chat_app.rs` verbatim,
//! and its configuration table names every configuration key.

use switchboard::config::Config;

const README: &str = include_str!("../README.md");

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
