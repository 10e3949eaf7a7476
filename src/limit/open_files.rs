//! The open-file limit, which bounds how many connections a process can hold: every socket is
//! a file descriptor, and running out of them stops `accept` for everyone.

/// Descriptors kept out of `max_connections` when it is derived: a tenth of the limit, at
/// least this many (Redis connections, log files, HTTP API and health requests, and the
/// sockets that answer `503` to upgrades beyond the cap).
const RESERVED_AT_LEAST: u64 = 100;

/// Raises the soft limit on open files to the hard limit, as servers that hold many sockets
/// do (Go's runtime does it for every program); returns the soft limit in force afterwards.
pub fn raise_soft_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given; setrlimit only reads it.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    Some(limit.rlim_cur)
}

/// The default `max_connections` for a soft limit of `open_files`: all of it but a tenth
/// (at least [`RESERVED_AT_LEAST`]) kept for everything else; at least 1.
pub fn derived_max_connections(open_files: u64) -> usize {
    let reserved = (open_files / 10).max(RESERVED_AT_LEAST);
    usize::try_from(open_files.saturating_sub(reserved))
        .unwrap_or(usize::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenth_is_kept_for_everything_else() {
        assert_eq!(derived_max_connections(20_000), 18_000);
        assert_eq!(derived_max_connections(1_048_576), 943_719);
        assert_eq!(derived_max_connections(1024), 922);
        assert_eq!(derived_max_connections(900), 800, "at least 100 kept");
        assert_eq!(derived_max_connections(50), 1);
        assert!(raise_soft_limit().is_some_and(|limit| limit > 0));
    }
}
