//! The in-memory broker's window registrations: a map of records with deadlines, at most
//! `max_windows` of them, and a queue of deadlines so that expired records are swept as they
//! fall due, without ever scanning the map.
//!
//! Every record has one entry in the queue (a min-heap of deadlines). A renewal only moves
//! the record's deadline: when its old entry comes up, the entry is pushed again at the new
//! deadline. Entries of records since replaced or deleted are dropped when they come up, and
//! the queue is rebuilt when they outnumber the records, so it stays within a constant
//! factor of the map. Each operation costs O(log n) amortised.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use super::WindowRecord;
use crate::identity::WindowKey;

/// Queue entries allowed beyond twice the number of records before the queue is rebuilt.
const QUEUE_SLACK: usize = 1024;

/// One stored registration.
struct Slot {
    /// The registration.
    record: WindowRecord,
    /// When it expires.
    deadline: Instant,
    /// The deadline of the queue entry that stands for it (older entries are stale).
    queued: Instant,
}

/// The registration would exceed `max_windows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Full;

/// Window registrations with deadlines, bounded in number.
pub(super) struct Registrations {
    /// Key → registration. Hashed with foldhash, seeded at random (as the registry's maps):
    /// the keys are the server's own, and SipHash cost more than the lookup it serves.
    slots: HashMap<WindowKey, Slot, foldhash::fast::RandomState>,
    /// Deadlines, earliest first, of every slot (and stale entries of replaced ones).
    queue: BinaryHeap<Reverse<(Instant, WindowKey)>>,
    /// Most live registrations.
    max: usize,
}

impl Registrations {
    /// No registrations; at most `max` at once (at least one).
    pub(super) fn new(max: usize) -> Registrations {
        Registrations {
            slots: HashMap::default(),
            queue: BinaryHeap::new(),
            max: max.max(1),
        }
    }

    /// The limit of live registrations.
    pub(super) fn max(&self) -> usize {
        self.max
    }

    /// Forgets every registration whose deadline has passed.
    fn sweep(&mut self, now: Instant) {
        while let Some(Reverse((due, _))) = self.queue.peek() {
            if *due > now {
                break;
            }
            let Some(Reverse((due, key))) = self.queue.pop() else {
                break;
            };
            let Some(slot) = self.slots.get_mut(&key) else {
                continue; // deleted since
            };
            if slot.queued != due {
                continue; // a stale entry: the slot has a newer one
            }
            if slot.deadline <= now {
                self.slots.remove(&key);
            } else {
                // Renewed since it was queued: queue it again at its new deadline.
                slot.queued = slot.deadline;
                self.queue.push(Reverse((slot.deadline, key)));
            }
        }
        if self.queue.len() > 2 * self.slots.len() + QUEUE_SLACK {
            self.rebuild();
        }
    }

    /// One entry per slot, at its deadline: drops every stale entry.
    fn rebuild(&mut self) {
        self.queue = self
            .slots
            .iter_mut()
            .map(|(key, slot)| {
                slot.queued = slot.deadline;
                Reverse((slot.deadline, key.clone()))
            })
            .collect();
    }

    /// Live registrations now.
    pub(super) fn count(&mut self, now: Instant) -> usize {
        self.sweep(now);
        self.slots.len()
    }

    /// The live registration of `key`.
    pub(super) fn live(&mut self, key: &WindowKey, now: Instant) -> Option<&mut WindowRecord> {
        self.sweep(now);
        match self.slots.get_mut(key) {
            Some(slot) if slot.deadline > now => Some(&mut slot.record),
            _ => None,
        }
    }

    /// Stores `record` under `key` until `deadline`, replacing a live one (always allowed);
    /// a new key is refused when `max` registrations live already. Returns the version of the
    /// record it replaced, if any.
    pub(super) fn insert(
        &mut self,
        key: &WindowKey,
        record: WindowRecord,
        deadline: Instant,
        now: Instant,
    ) -> Result<Option<u64>, Full> {
        self.sweep(now);
        let previous = self.slots.get(key).map(|slot| slot.record.version);
        if previous.is_none() && self.slots.len() >= self.max {
            return Err(Full);
        }
        self.slots.insert(
            key.clone(),
            Slot {
                record,
                deadline,
                queued: deadline,
            },
        );
        self.queue.push(Reverse((deadline, key.clone())));
        Ok(previous)
    }

    /// Renews a live registration for its own time-to-live. Returns whether it was alive.
    pub(super) fn touch(&mut self, key: &WindowKey, now: Instant) -> bool {
        self.sweep(now);
        match self.slots.get_mut(key) {
            Some(slot) => {
                slot.deadline = now + Duration::from_secs(slot.record.ttl_secs);
                true
            }
            None => false,
        }
    }

    /// Forgets a registration. Returns whether a live one existed.
    pub(super) fn remove(&mut self, key: &WindowKey, now: Instant) -> bool {
        self.sweep(now);
        self.slots.remove(key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::WindowInfo;

    fn record(ttl_secs: u64) -> WindowRecord {
        WindowRecord {
            info: WindowInfo::default(),
            topics: Default::default(),
            version: 1,
            ttl_secs,
        }
    }

    #[test]
    fn new_keys_beyond_the_limit_are_refused_but_replacing_and_touching_are_not() {
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        let mut regs = Registrations::new(2);
        let [a, b, c] = [(); 3].map(|()| WindowKey::generate());
        assert_eq!(regs.insert(&a, record(60), later, now), Ok(None));
        assert_eq!(regs.insert(&b, record(60), later, now), Ok(None));
        assert_eq!(regs.insert(&c, record(60), later, now), Err(Full));
        assert_eq!(regs.insert(&a, record(60), later, now), Ok(Some(1)));
        assert!(regs.touch(&b, now));
        assert!(!regs.touch(&c, now));
        assert_eq!(regs.count(now), 2);
        assert!(regs.remove(&a, now));
        assert_eq!(regs.insert(&c, record(60), later, now), Ok(None));
        assert_eq!(regs.count(now), 2);
    }

    #[test]
    fn expired_registrations_are_swept_and_free_their_place() {
        let now = Instant::now();
        let mut regs = Registrations::new(2);
        let [a, b, c] = [(); 3].map(|()| WindowKey::generate());
        regs.insert(&a, record(1), now + Duration::from_secs(1), now)
            .unwrap();
        regs.insert(&b, record(5), now + Duration::from_secs(5), now)
            .unwrap();
        let after = now + Duration::from_secs(2);
        assert_eq!(regs.count(after), 1, "a expired");
        assert!(regs.live(&a, after).is_none());
        assert_eq!(
            regs.insert(&c, record(5), after + Duration::from_secs(5), after),
            Ok(None)
        );
        assert_eq!(regs.count(after), 2);
    }

    #[test]
    fn a_renewed_registration_outlives_its_first_deadline() {
        let now = Instant::now();
        let mut regs = Registrations::new(10);
        let a = WindowKey::generate();
        regs.insert(&a, record(10), now + Duration::from_secs(1), now)
            .unwrap();
        // Renewed at +0.5 s for its own time-to-live: until +10.5 s.
        assert!(regs.touch(&a, now + Duration::from_millis(500)));
        let at = |secs| now + Duration::from_secs(secs);
        assert_eq!(regs.count(at(5)), 1, "requeued at its new deadline");
        assert!(regs.live(&a, at(10)).is_some());
        assert_eq!(regs.count(at(11)), 0);
        assert!(regs.queue.is_empty());
    }

    #[test]
    fn stale_queue_entries_do_not_pile_up() {
        let now = Instant::now();
        let far = now + Duration::from_secs(3600);
        let mut regs = Registrations::new(10);
        // Register and delete in a loop: the map stays empty, the queue stays bounded.
        for _ in 0..10 * QUEUE_SLACK {
            let key = WindowKey::generate();
            regs.insert(&key, record(3600), far, now).unwrap();
            assert!(regs.remove(&key, now));
        }
        assert_eq!(regs.count(now), 0);
        assert!(regs.queue.len() <= QUEUE_SLACK + 1, "{}", regs.queue.len());
        // A replaced record keeps one live entry, the old one is dropped when it comes up.
        let key = WindowKey::generate();
        regs.insert(&key, record(1), now + Duration::from_secs(1), now)
            .unwrap();
        regs.insert(&key, record(5), now + Duration::from_secs(5), now)
            .unwrap();
        assert_eq!(regs.count(now + Duration::from_secs(2)), 1);
        assert_eq!(regs.count(now + Duration::from_secs(6)), 0);
    }
}
