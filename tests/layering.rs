//! Dependencies between the crate's modules point one way: from the transports (`http`,
//! `window`) through `signal` and `topic` down to `broker`, `identity` and `protocol`. This
//! test reads every `crate::` path in `src/` and fails on any dependency not in the table.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// What each module may use. Modules not listed (`lib.rs`, `main.rs`, `server`, `demo`,
/// `__private`) assemble the others and may use anything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("identity", &[]),
    ("protocol", &[]),
    ("config", &[]),
    ("limit", &[]),
    ("metrics", &["protocol"]),
    ("broker", &["identity", "metrics"]),
    ("topic", &["broker", "identity", "metrics"]),
    (
        "signal",
        &[
            "broker", "config", "identity", "metrics", "protocol", "topic",
        ],
    ),
    (
        "window",
        &[
            "identity", "limit", "metrics", "protocol", "signal", "topic",
        ],
    ),
    (
        "http",
        &[
            "broker", "config", "identity", "limit", "metrics", "protocol", "signal", "topic",
            "window",
        ],
    ),
];

/// The modules `text` names after `crate::`, comments excluded.
fn uses_in(text: &str, found: &mut BTreeSet<String>) {
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: every first segment in the braces.
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![rest
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")],
            };
            found.extend(
                names
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .map(String::from),
            );
        }
    }
}

/// The modules the files under `path` (a file or a folder) name after `crate::`.
fn uses(path: &Path, found: &mut BTreeSet<String>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            uses(&entry.unwrap().path(), found);
        }
    } else {
        uses_in(&fs::read_to_string(path).unwrap(), found);
    }
}

/// The `crate::` dependencies of every module with a rule.
fn dependencies() -> BTreeMap<&'static str, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    ALLOWED
        .iter()
        .map(|(module, _)| {
            let mut found = BTreeSet::new();
            let dir = src.join(module);
            let path = if dir.is_dir() {
                dir
            } else {
                src.join(format!("{module}.rs"))
            };
            uses(&path, &mut found);
            found.remove(*module);
            (*module, found)
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let mut wrong = Vec::new();
    for (module, used) in dependencies() {
        let allowed = ALLOWED.iter().find(|(m, _)| *m == module).unwrap().1;
        for dependency in used {
            if !allowed.contains(&dependency.as_str()) {
                wrong.push(format!("`{module}` uses `{dependency}`"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layering: {wrong:?}"
    );
}

#[test]
fn the_named_rules_hold() {
    let deps = dependencies();
    for module in ["topic", "broker", "signal"] {
        for transport in ["http", "window"] {
            assert!(
                !deps[module].contains(transport),
                "`{module}` must not use the transport `{transport}`"
            );
        }
    }
    assert!(
        !deps["broker"].contains("topic"),
        "`broker` must not use `topic`"
    );
}

#[test]
fn the_scanner_sees_grouped_and_nested_paths() {
    let mut found = BTreeSet::new();
    uses_in(
        "use crate::{a::B, c};\n// crate::ignored\nlet x = crate::d::e();\n",
        &mut found,
    );
    let expected: BTreeSet<String> = ["a", "c", "d"].map(String::from).into();
    assert_eq!(found, expected);
}
