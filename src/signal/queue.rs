//! Named handler queues: each has its own concurrency limit, so a busy `slow` queue never
//! delays the `default` one (df_websockets' `queue=`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::config::QueueConfig;

/// One named queue.
#[derive(Debug)]
pub(crate) struct Queue {
    /// Its name, for errors and logs.
    pub(crate) name: String,
    /// One permit per running handler.
    slots: Semaphore,
    /// Calls waiting for a permit.
    waiting: AtomicUsize,
    /// Most calls allowed to wait.
    backlog: usize,
}

/// The queue is full: too many calls are already waiting.
#[derive(Debug)]
pub(crate) struct QueueFull;

impl Queue {
    fn new(name: &str, config: QueueConfig) -> Queue {
        Queue {
            name: name.to_owned(),
            slots: Semaphore::new(config.concurrency.max(1)),
            waiting: AtomicUsize::new(0),
            backlog: config.backlog,
        }
    }

    /// Waits for a free slot, unless the backlog is full.
    pub(crate) async fn enter(&self) -> Result<SemaphorePermit<'_>, QueueFull> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.backlog {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(QueueFull);
        }
        let permit = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map_err(|_| QueueFull)
    }
}

/// Every queue of a router, created up front from the handlers' declarations.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    /// Queue name → queue.
    by_name: HashMap<String, Arc<Queue>>,
}

impl Queues {
    /// The queue `name`, created with its configured limits (or the defaults).
    pub(crate) fn get_or_create(
        &mut self,
        name: &str,
        configs: &HashMap<String, QueueConfig>,
    ) -> Arc<Queue> {
        self.get_or_create_with(name, || configs.get(name).copied().unwrap_or_default())
    }

    /// The queue named `name`, created with `config()` if it does not exist yet.
    pub(crate) fn get_or_create_with(
        &mut self,
        name: &str,
        config: impl FnOnce() -> QueueConfig,
    ) -> Arc<Queue> {
        self.by_name
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Queue::new(name, config())))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn backlog_is_bounded() {
        let queue = Arc::new(Queue::new(
            "q",
            QueueConfig {
                concurrency: 1,
                backlog: 1,
            },
        ));
        let held = queue.enter().await.unwrap();
        let waiter = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.enter().await.map(drop).is_ok() })
        };
        tokio::task::yield_now().await;
        while queue.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(queue.enter().await.is_err(), "backlog of one is full");
        drop(held);
        assert!(waiter.await.unwrap());
    }
}
