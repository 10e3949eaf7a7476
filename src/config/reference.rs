//! The configuration reference, rendered from the option declarations.
//!
//! README.md's "Configuration" section holds [`reference_table`] verbatim, and
//! `tests/readme.rs` fails when they differ, so the documentation cannot drift from the code.

use clap::{Arg, Args, Command};

use super::{Config, ServeArgs};

/// The header of the table, with its separator line.
const HEADER: &str = "| TOML key | flag | environment variable | default | description |\n\
                      |---|---|---|---|---|\n";

/// What the default column says of an option without a default value.
const NO_DEFAULT: &str = "none";

/// A Markdown table of every configuration key: TOML key, command-line flag, environment
/// variable, default and description, in declaration order.
pub fn reference_table() -> String {
    let keys = toml_keys();
    let mut command = ServeArgs::augment_args(Command::new("serve"));
    // Building applies implied values, such as `false` as the default of a switch.
    command.build();
    let mut table = HEADER.to_owned();
    for arg in command.get_arguments() {
        if keys.iter().any(|key| key == arg.get_id().as_str()) {
            table.push_str(&row(arg));
        }
    }
    table
}

/// Every TOML key, from the serialised defaults (`null` for the options without one).
fn toml_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()).expect("the defaults serialise") {
        serde_json::Value::Object(map) => map.into_iter().map(|(key, _)| key).collect(),
        _ => unreachable!("a struct serialises to an object"),
    }
}

/// The table row of one option.
fn row(arg: &Arg) -> String {
    let code = |text: &str| format!("`{text}`");
    let flag = arg.get_long().map(|long| code(&format!("--{long}")));
    let env = arg.get_env().map(|env| code(&env.to_string_lossy()));
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .collect();
    let default = if defaults.is_empty() {
        NO_DEFAULT.to_owned()
    } else {
        code(&defaults.join(","))
    };
    let mut help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|_| arg.get_action().takes_values())
        .map(|value| code(value.get_name()))
        .collect();
    if !choices.is_empty() {
        help.push_str(&format!("; one of {}", choices.join(", ")));
    }
    format!(
        "| {} | {} | {} | {} | {} |\n",
        code(arg.get_id().as_str()),
        flag.unwrap_or_default(),
        env.unwrap_or_default(),
        default,
        help.replace('|', "\\|"),
    )
}
