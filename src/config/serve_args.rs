//! The options of `switchboard serve`, and how their sources are merged.
//!
//! Precedence, highest first: the command line, the environment, the TOML file, the defaults.
//! clap knows where each value came from ([`ArgMatches::value_source`]); a value it took
//! from its default is not applied, so the file's value stays.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};
use serde_json::{Map, Value};

use super::{Config, ConfigError, QueueConfig};

/// Options of `serve`: the configuration file, every `Config` option, and the queues.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (keys are the field names of `Config`, see the README).
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Every other option as clap found it (command line, environment or declared default),
    /// without the file: [`ServeArgs::resolve`] merges the two.
    #[command(flatten)]
    pub settings: Config,
    /// Limits per named handler queue, NAME=CONCURRENCY[/BACKLOG] (repeat the flag, or
    /// comma-separate in the environment), e.g. `slow=4/100`; in TOML, `[queues.slow]` with
    /// `concurrency = 4` and `backlog = 100`. Merged by name with the file's queues; a queue
    /// declared nowhere gets concurrency 64 and backlog 10000.
    #[arg(
        long = "queue",
        env = "SWITCHBOARD_QUEUES",
        value_name = "NAME=CONCURRENCY[/BACKLOG]",
        value_delimiter = ',',
        value_parser = parse_queue
    )]
    pub queues: Vec<(String, QueueConfig)>,
}

impl ServeArgs {
    /// The configuration `matches` (of a command built from [`ServeArgs`]) describe: the file's
    /// (or the defaults), overridden by every option given on the command line or in the
    /// environment, then validated.
    pub fn resolve(matches: &ArgMatches) -> Result<Config, ConfigError> {
        let args = ServeArgs::from_arg_matches(matches)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let base = match &args.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        let mut given = args.settings;
        given.queues.extend(args.queues);
        let config = merge(base, given, |key| is_given(matches, key));
        config.validate()?;
        Ok(config)
    }
}

/// Whether the option with id `key` was given, on the command line or in the environment.
fn is_given(matches: &ArgMatches, key: &str) -> bool {
    matches.try_contains_id(key).unwrap_or(false)
        && matches!(
            matches.value_source(key),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
}

/// `base` with every key of `given` for which `is_given` holds; tables (the queues) merge by
/// name instead of replacing each other.
fn merge(base: Config, given: Config, is_given: impl Fn(&str) -> bool) -> Config {
    let mut merged = object(&base);
    for (key, value) in object(&given) {
        if !is_given(&key) {
            continue;
        }
        match (merged.get_mut(&key), value) {
            (Some(Value::Object(table)), Value::Object(entries)) => table.extend(entries),
            (_, value) => {
                merged.insert(key, value);
            }
        }
    }
    serde_json::from_value(Value::Object(merged)).expect("a configuration round-trips")
}

/// The configuration as a JSON object, one entry per key.
fn object(config: &Config) -> Map<String, Value> {
    match serde_json::to_value(config).expect("a configuration serialises") {
        Value::Object(map) => map,
        _ => unreachable!("a struct serialises to an object"),
    }
}

/// Parses `NAME=CONCURRENCY[/BACKLOG]`.
fn parse_queue(text: &str) -> Result<(String, QueueConfig), String> {
    let (name, limits) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected NAME=CONCURRENCY[/BACKLOG]"))?;
    let (concurrency, backlog) = match limits.split_once('/') {
        Some((c, b)) => (c, Some(b)),
        None => (limits, None),
    };
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|e| format!("`{text}`: `{s}` is not a count ({e})"))
    };
    let mut queue = QueueConfig {
        concurrency: number(concurrency)?,
        ..QueueConfig::default()
    };
    if let Some(backlog) = backlog {
        queue.backlog = number(backlog)?;
    }
    Ok((name.to_owned(), queue))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Command;

    use super::*;
    use crate::config::LogFormat;

    /// A TOML file in the temporary directory, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> TempFile {
            let path = std::env::temp_dir().join(format!(
                "switchboard-config-{}-{name}.toml",
                std::process::id()
            ));
            std::fs::write(&path, contents).unwrap();
            TempFile(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// The `serve` command, reading the environment variable of `env_key` only (if any), so
    /// tests do not depend on the environment they run in.
    fn command(env_key: Option<&str>) -> Command {
        ServeArgs::augment_args(Command::new("serve")).mut_args(|arg| {
            if Some(arg.get_id().as_str()) == env_key {
                arg
            } else {
                arg.env(None::<&str>)
            }
        })
    }

    fn resolve_with(command: Command, args: &[&str]) -> Result<Config, ConfigError> {
        let matches = command
            .try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap();
        ServeArgs::resolve(&matches)
    }

    fn resolve(args: &[&str]) -> Result<Config, ConfigError> {
        resolve_with(command(None), args)
    }

    /// A file setting a few keys, every one to something other than its default.
    fn file() -> TempFile {
        TempFile::new(
            &format!("{:?}", std::thread::current().id()),
            "bind = \"127.0.0.1:6\"\ndemo = true\nws_path = \"/file/\"\nwindow_ttl_secs = 60\n\
             allowed_origins = [\"https://file.example\"]\n\
             [queues.slow]\nconcurrency = 2\nbacklog = 10\n",
        )
    }

    #[test]
    fn without_options_the_defaults_apply() {
        assert_eq!(resolve(&[]).unwrap(), Config::default());
    }

    #[test]
    fn the_file_overrides_the_defaults_and_unset_options_keep_it() {
        let file = file();
        let config = resolve(&["--config", file.path()]).unwrap();
        assert_eq!(config, Config::from_file(Path::new(file.path())).unwrap());
        assert_eq!(config.bind, "127.0.0.1:6");
        assert!(config.demo);
        assert_eq!(config.window_ttl_secs, 60);
        assert_eq!(config.queues["slow"].concurrency, 2);
        assert_eq!(config.outbound_queue, Config::default().outbound_queue);
    }

    #[test]
    fn the_command_line_overrides_the_file() {
        let file = file();
        let config = resolve(&[
            "--config",
            file.path(),
            "--bind",
            "127.0.0.1:8",
            "--log-format",
            "json",
            "--allowed-origin",
            "https://a.example",
            "--allowed-origin",
            "https://b.example",
            "--redis-cluster",
            "--redis",
            "redis://h:1/",
            "--queue",
            "slow=9",
            "--queue",
            "fast=3/7",
        ])
        .unwrap();
        assert_eq!(config.bind, "127.0.0.1:8");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert!(config.redis_cluster);
        assert_eq!(config.redis_url.as_deref(), Some("redis://h:1/"));
        // Queues merge by name: `slow` is replaced, `fast` added.
        assert_eq!(config.queues.len(), 2);
        assert_eq!(config.queues["slow"].concurrency, 9);
        assert_eq!(
            config.queues["slow"].backlog,
            QueueConfig::default().backlog
        );
        assert_eq!(config.queues["fast"].concurrency, 3);
        assert_eq!(config.queues["fast"].backlog, 7);
        // What the command line does not name stays as the file says.
        assert_eq!(config.ws_path, "/file/");
        assert!(config.demo);
    }

    /// The only test that sets an environment variable, and it removes it: other tests read
    /// no environment (see [`command`]).
    #[test]
    fn the_environment_overrides_the_file_and_the_command_line_overrides_both() {
        const KEY: &str = "window_ttl_secs";
        const VARIABLE: &str = "SWITCHBOARD_WINDOW_TTL_SECS";
        let file = file();
        std::env::set_var(VARIABLE, "70");
        let defaults = Config::default();
        let from_env = resolve_with(command(Some(KEY)), &["--config", file.path()]);
        let from_cli = resolve_with(
            command(Some(KEY)),
            &["--config", file.path(), "--window-ttl-secs", "80"],
        );
        std::env::remove_var(VARIABLE);
        assert_eq!(
            defaults.window_ttl_secs, 36_000,
            "defaults ignore the environment"
        );
        let from_env = from_env.unwrap();
        assert_eq!(from_env.window_ttl_secs, 70);
        assert_eq!(from_env.bind, "127.0.0.1:6");
        assert_eq!(from_cli.unwrap().window_ttl_secs, 80);
    }

    #[test]
    fn the_result_is_validated() {
        let err = resolve(&["--ws-path", "socket"]).unwrap_err();
        assert!(err.to_string().contains("ws_path"), "{err}");
        let err = resolve(&["--queue", "slow=0"]).unwrap_err();
        assert!(err.to_string().contains("slow"), "{err}");
    }

    #[test]
    fn queues_are_name_concurrency_and_optional_backlog() {
        let (name, queue) = parse_queue("slow=4/100").unwrap();
        assert_eq!(
            (name.as_str(), queue.concurrency, queue.backlog),
            ("slow", 4, 100)
        );
        let (_, queue) = parse_queue("slow=4").unwrap();
        assert_eq!(queue.backlog, QueueConfig::default().backlog);
        assert!(parse_queue("slow")
            .unwrap_err()
            .contains("NAME=CONCURRENCY"));
        assert!(parse_queue("slow=x").unwrap_err().contains("`x`"));
    }

    #[test]
    fn help_shows_every_flag_once_with_its_default() {
        let mut command = command(None);
        let help = command.render_long_help().to_string();
        command.build();
        let mut defaults_shown = 0;
        for arg in command.get_arguments().filter(|arg| arg.get_id() != "help") {
            let flag = format!("--{}", arg.get_long().expect("every option has a flag"));
            let lines = help
                .lines()
                .filter(|line| line.split_whitespace().next() == Some(flag.as_str()))
                .count();
            assert_eq!(lines, 1, "{flag} in:\n{help}");
            if !arg.get_action().takes_values() {
                continue; // A switch's default, `false`, goes without saying.
            }
            for default in arg.get_default_values() {
                let default = format!("[default: {}]", default.to_string_lossy());
                assert!(help.contains(&default), "{default} of {flag} in:\n{help}");
                defaults_shown += 1;
            }
        }
        assert_eq!(help.matches("[default: ").count(), defaults_shown, "{help}");
        assert!(help.contains("[default: 127.0.0.1:8000]"), "{help}");
    }
}
