//! Admission of websocket connections: how many the node holds at once (a cap that protects
//! the process itself: file descriptors and memory), how many each client address and each
//! user may hold, and how fast an address may open them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use super::TokenBucket;

/// Forget idle rate buckets once this many addresses are tracked.
const SWEEP_ABOVE: usize = 10_000;

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The node holds as many connections as it may (`max_connections`).
    #[error("this node holds its maximum of {0} connections (max_connections); retry later")]
    NodeFull(usize),
    /// The address opens connections too fast.
    #[error("too many connection attempts from this address")]
    Rate,
    /// The address holds too many connections.
    #[error("too many connections from this address")]
    PerAddress,
    /// The user holds too many connections.
    #[error("too many connections for this user")]
    PerUser,
}

impl Refused {
    /// The limit's name in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refused::NodeFull(_) => "node_full",
            Refused::Rate => "rate",
            Refused::PerAddress => "per_address",
            Refused::PerUser => "per_user",
        }
    }
}

/// Counters shared by every worker of a node.
#[derive(Default)]
struct Counts {
    /// Open connections on this node.
    total: usize,
    /// Open connections per client address.
    per_address: HashMap<IpAddr, usize>,
    /// Open connections per user id.
    per_user: HashMap<String, usize>,
    /// Connection attempts per client address.
    rates: HashMap<IpAddr, TokenBucket>,
}

/// The limits and the live counts. Cheap to clone.
#[derive(Clone)]
pub struct ConnectionLimits {
    /// Most simultaneous connections on the node.
    max_total: usize,
    /// Most simultaneous connections per address; 0 for no limit.
    max_per_address: usize,
    /// Most simultaneous connections per user; 0 for no limit.
    max_per_user: usize,
    /// New connections per second per address; 0 for no limit.
    rate: f64,
    /// Burst of new connections per address.
    burst: f64,
    /// The counts, behind one lock held only for a few map operations.
    counts: Arc<Mutex<Counts>>,
}

/// Holds one admitted connection's place; releases it when dropped.
pub struct ConnectionGuard {
    /// Where to release.
    counts: Arc<Mutex<Counts>>,
    /// The connection's address.
    address: IpAddr,
    /// The connection's user, if any.
    user: Option<String>,
}

fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(count) = map.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            map.remove(key);
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        counts.total -= 1;
        release(&mut counts.per_address, &self.address);
        if let Some(user) = &self.user {
            release(&mut counts.per_user, user);
        }
    }
}

impl ConnectionLimits {
    /// Limits as configured: at most `max_total` connections on the node (at least one), and
    /// per address and per user, where a zero disables the limit.
    pub fn new(
        max_total: usize,
        max_per_address: usize,
        max_per_user: usize,
        rate: f64,
        burst: f64,
    ) -> Self {
        ConnectionLimits {
            max_total: max_total.max(1),
            max_per_address,
            max_per_user,
            rate,
            burst,
            counts: Arc::default(),
        }
    }

    /// Admits a connection from `address` for `user`, or says why not.
    pub fn admit(&self, address: IpAddr, user: Option<&str>) -> Result<ConnectionGuard, Refused> {
        let now = Instant::now();
        let mut counts = self.counts.lock();
        if counts.total >= self.max_total {
            return Err(Refused::NodeFull(self.max_total));
        }
        if self.rate > 0.0 {
            if counts.rates.len() > SWEEP_ABOVE {
                counts.rates.retain(|_, bucket| !bucket.is_full(now));
            }
            let bucket = counts
                .rates
                .entry(address)
                .or_insert_with(|| TokenBucket::new(self.rate, self.burst, now));
            if !bucket.try_take(now) {
                return Err(Refused::Rate);
            }
        }
        let held = counts.per_address.get(&address).copied().unwrap_or(0);
        if self.max_per_address > 0 && held >= self.max_per_address {
            return Err(Refused::PerAddress);
        }
        if let Some(user) = user {
            let held = counts.per_user.get(user).copied().unwrap_or(0);
            if self.max_per_user > 0 && held >= self.max_per_user {
                return Err(Refused::PerUser);
            }
            *counts.per_user.entry(user.to_owned()).or_default() += 1;
        }
        *counts.per_address.entry(address).or_default() += 1;
        counts.total += 1;
        Ok(ConnectionGuard {
            counts: self.counts.clone(),
            address,
            user: user.map(str::to_owned),
        })
    }

    /// Connections the node holds now.
    pub fn held(&self) -> usize {
        self.counts.lock().total
    }

    /// Addresses and users holding connections now (for the leak checks of the tests).
    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        let counts = self.counts.lock();
        (counts.per_address.len(), counts.per_user.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_and_per_user_limits_release_on_drop() {
        let limits = ConnectionLimits::new(10, 2, 1, 0.0, 0.0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = limits.admit(ip, Some("u")).unwrap();
        assert_eq!(limits.admit(ip, Some("u")).err(), Some(Refused::PerUser));
        let b = limits.admit(ip, None).unwrap();
        assert_eq!(limits.admit(ip, None).err(), Some(Refused::PerAddress));
        drop(a);
        drop(b);
        assert_eq!(limits.tracked(), (0, 0));
        assert!(limits.admit(ip, Some("u")).is_ok());
    }

    #[test]
    fn the_rate_limits_attempts() {
        let limits = ConnectionLimits::new(10, 0, 0, 1.0, 3.0);
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        let guards: Vec<_> = (0..3).map(|_| limits.admit(ip, None).unwrap()).collect();
        assert_eq!(limits.admit(ip, None).err(), Some(Refused::Rate));
        drop(guards);
        let other: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(limits.admit(other, None).is_ok(), "per address");
    }

    #[test]
    fn the_node_cap_counts_every_address() {
        let limits = ConnectionLimits::new(2, 0, 0, 0.0, 0.0);
        let a = limits.admit("10.0.0.4".parse().unwrap(), None).unwrap();
        let _b = limits.admit("10.0.0.5".parse().unwrap(), None).unwrap();
        let c: IpAddr = "10.0.0.6".parse().unwrap();
        assert_eq!(limits.admit(c, None).err(), Some(Refused::NodeFull(2)));
        drop(a);
        assert!(limits.admit(c, None).is_ok(), "a place was freed");
    }
}
