//! The rescue: writes for windows that their thread's scheduler leaves waiting.
//!
//! Each worker thread runs its windows' tasks on a tokio `LocalSet`, which serves tasks
//! woken from another thread only every 31st turn while its own thread keeps waking tasks
//! of its own. A trigger published on one worker wakes that worker's windows from their own
//! thread and the other worker's from across; under a sustained overload the windows woken
//! from across can wait for seconds while the others are written at once (BENCHMARKS.md,
//! "Latency"). Serving every window in turn instead was tried three ways and costs the
//! bursts a tenth to a quarter of their throughput: a window that waits gathers more frames
//! per write, and the bursts are made of that.
//!
//! So the order stays, and a wait is bounded instead. When a frame is pushed behind frames
//! that have waited [`RESCUE_AFTER_MS`] or more, the outbox asks its connection's [`Desk`]
//! (one per worker thread, shared with the producers on every thread) for a rescue, once
//! until the writer takes a frame again. The desk's task, woken by its own timer on the
//! worker's thread every [`SWEEP_EVERY`] (a wake from its own thread, which the scheduler
//! serves in order), polls the writers asked for with their connections' own wakers: each
//! writes what its outbox holds, in order, as its task would have, and the task, when its
//! turn comes, finds that done. A rescued write carries everything that waited, so the
//! rescue keeps the batching that the waiting made.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;

use super::writer::Writer;

/// How long frames wait, at least, before their window is rescued (milliseconds of the
/// outbox's coarse clock, whose ticks are 100 ms apart: a rescue is asked for after
/// 200–300 ms).
pub(super) const RESCUE_AFTER_MS: u64 = 200;

/// How often a worker's desk looks for windows to rescue.
const SWEEP_EVERY: Duration = Duration::from_millis(50);

/// Writers rescued in this process (every desk, every node): a node that rescues is
/// overloaded, and its operators want to know.
static RESCUED: AtomicU64 = AtomicU64::new(0);

/// Writers rescued in this process since it started: polls of a writer by its thread's
/// desk, each for a window whose frames had waited [`RESCUE_AFTER_MS`] or more.
pub fn rescued() -> u64 {
    RESCUED.load(Ordering::Relaxed)
}

/// Where producers on any thread ask for the rescue of a worker's windows.
#[derive(Debug, Default)]
pub(super) struct Desk {
    /// The seats of the connections asked for since the last sweep.
    asked: Mutex<Vec<u32>>,
}

/// A connection's seat at its worker's desk: what its outbox needs to ask for a rescue.
#[derive(Debug)]
pub(super) struct Ticket {
    /// The desk of the connection's thread.
    desk: Arc<Desk>,
    /// Where the connection's writer sits in that thread's [`Seats`].
    seat: u32,
}

impl Ticket {
    /// Asks for the connection's writer to be polled at the next sweep.
    pub(super) fn ask(&self) {
        self.desk.asked.lock().push(self.seat);
    }
}

/// The connection's writer, shared by its task and its thread's desk (never across threads).
pub(super) struct SharedWriter {
    /// The writer; borrowed only for one poll at a time.
    writer: RefCell<Writer>,
    /// The task of the connection, which a rescued writer registers to be woken (for the
    /// socket's readiness, the outbox): set at the task's first poll.
    task: Cell<Option<Waker>>,
    /// Its seat at the desk, given back when the connection is over.
    seat: u32,
}

impl SharedWriter {
    /// Gives `writer` a seat at this thread's desk; the ticket goes to its outbox. Starts the
    /// desk's task on the first seat of the thread (must be called on the worker's thread,
    /// inside its `LocalSet`).
    pub(super) fn seat(writer: Writer) -> (Rc<SharedWriter>, Ticket) {
        LOCAL.with_borrow_mut(|local| {
            let seat = local.seats.free.pop().unwrap_or_else(|| {
                local.seats.taken.push(Weak::new());
                (local.seats.taken.len() - 1) as u32
            });
            let shared = Rc::new(SharedWriter {
                writer: RefCell::new(writer),
                task: Cell::new(None),
                seat,
            });
            local.seats.taken[seat as usize] = Rc::downgrade(&shared);
            if !local.sweeping {
                local.sweeping = true;
                tokio::task::spawn_local(sweep(local.desk.clone(), Sweeping));
            }
            let ticket = Ticket {
                desk: local.desk.clone(),
                seat,
            };
            (shared, ticket)
        })
    }

    /// Polls the writer for the connection's task, whose waker is kept for rescues.
    pub(super) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let task = match self.task.take() {
            Some(task) if task.will_wake(cx.waker()) => task,
            _ => cx.waker().clone(),
        };
        self.task.set(Some(task));
        Pin::new(&mut *self.writer.borrow_mut()).poll(cx)
    }

    /// The writer, for the connection's task.
    pub(super) fn writer(&self) -> std::cell::RefMut<'_, Writer> {
        self.writer.borrow_mut()
    }

    /// Writes what the outbox holds, as the connection's task would.
    fn rescue(&self) {
        let Some(task) = self.task.take() else {
            return;
        };
        self.task.set(Some(task.clone()));
        let Ok(mut writer) = self.writer.try_borrow_mut() else {
            return;
        };
        match writer.rescue(&mut Context::from_waker(&task)) {
            // Closing: nothing to rescue.
            None => {}
            Some(poll) => {
                RESCUED.fetch_add(1, Ordering::Relaxed);
                if poll.is_ready() {
                    // Over: the task, which may be waiting for nothing else, ends the
                    // connection.
                    task.wake();
                }
            }
        }
    }
}

impl Drop for SharedWriter {
    fn drop(&mut self) {
        // (`try_with`: the thread may be ending. The seats are never borrowed while a
        // writer is dropped: no borrow of them drops one.)
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                local.seats.taken[self.seat as usize] = Weak::new();
                local.seats.free.push(self.seat);
            }
        });
    }
}

/// The writers of one thread's connections, by seat.
#[derive(Default)]
struct Seats {
    /// Each seat's writer (dangling when free).
    taken: Vec<Weak<SharedWriter>>,
    /// Free seats, reused first.
    free: Vec<u32>,
}

/// A worker thread's desk and its seats.
#[derive(Default)]
struct Local {
    /// Shared with the outboxes of this thread's connections.
    desk: Arc<Desk>,
    /// This thread's writers.
    seats: Seats,
    /// The desk's task runs.
    sweeping: bool,
}

thread_local! {
    /// The desk of this thread.
    static LOCAL: RefCell<Local> = RefCell::default();
}

/// Lets the thread start another desk task when this one is dropped with its runtime
/// (passed in, not made in the task's body, so that a task dropped before it first ran
/// lets go too).
struct Sweeping;

impl Drop for Sweeping {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                local.sweeping = false;
            }
        });
    }
}

/// The desk's task: every [`SWEEP_EVERY`], rescues the writers asked for.
async fn sweep(desk: Arc<Desk>, sweeping: Sweeping) {
    let _sweeping = sweeping;
    let mut asked = Vec::new();
    loop {
        tokio::time::sleep(SWEEP_EVERY).await;
        std::mem::swap(&mut asked, &mut *desk.asked.lock());
        for seat in asked.drain(..) {
            let writer = LOCAL.with_borrow(|local| local.seats.taken.get(seat as usize)?.upgrade());
            // A seat given up since: its next connection, if any, is polled for nothing.
            if let Some(writer) = writer {
                writer.rescue();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use actix_web::web::Bytes;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::limit::ConnectionLimits;
    use crate::window::{Outbox, QueueLimits};

    /// The waker of a task that never gets its turn: it counts wakes and polls nothing.
    #[derive(Default)]
    struct NeverPolled(AtomicUsize);

    impl Wake for NeverPolled {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A connection's writer on one end of a loopback pair, polled once by its "task" (it
    /// writes the handshake `HS`), which is then never polled again; `seated` gives it a
    /// seat at the thread's desk. Frames are pushed for 600 ms, 20 ms apart. Returns what
    /// the client read within two seconds, and the frames as they are written on the wire.
    async fn left_waiting(seated: bool) -> (Vec<u8>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (mut client, (server, _)) = (client.unwrap(), accepted.unwrap());
        let admission = ConnectionLimits::new(1, 0, 0, 0.0, 0.0)
            .admit(IpAddr::V4(Ipv4Addr::LOCALHOST), None)
            .unwrap();
        let (outbox, outgoing) = Outbox::bounded(QueueLimits::frames(1_000));
        let writer = Writer::new(
            Rc::new(server),
            Bytes::from_static(b"HS"),
            outgoing,
            admission,
        );
        let (writer, ticket) = SharedWriter::seat(writer);
        if seated {
            outbox.seat(ticket);
        }
        let task = Waker::from(Arc::new(NeverPolled::default()));
        assert!(writer.poll(&mut Context::from_waker(&task)).is_pending());
        let mut expected = b"HS".to_vec();
        for i in 0..30 {
            let text = format!("frame {i}");
            expected.extend_from_slice(&[0x81, text.len() as u8]);
            expected.extend_from_slice(text.as_bytes());
            assert!(outbox.push(text.into()));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut read = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, client.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
        }
        drop(writer);
        (read, expected)
    }

    /// Frames that waited past [`RESCUE_AFTER_MS`] behind others reach the client although
    /// the connection's task never polls again: whole frames, in order, from the first on.
    /// Without a seat at the desk, only the handshake of that one poll arrives.
    #[tokio::test]
    async fn a_window_left_waiting_is_written_by_its_desk() {
        tokio::task::LocalSet::new()
            .run_until(async {
                let before = rescued();
                let (read, expected) = left_waiting(true).await;
                assert!(rescued() > before, "no rescue counted");
                assert!(
                    read.len() > 2 + 10 * 9,
                    "fewer than ten frames rescued: {:?}",
                    String::from_utf8_lossy(&read)
                );
                assert!(
                    expected.starts_with(&read),
                    "not the frames, whole and in order: {:?}",
                    String::from_utf8_lossy(&read)
                );
                let (read, _) = left_waiting(false).await;
                assert_eq!(read, b"HS", "written without a rescue");
            })
            .await;
    }

    /// A thread whose desk task was dropped before it ever ran (its `LocalSet` gone) starts
    /// another for the next connection, which is then rescued as before.
    #[test]
    fn a_thread_whose_desk_task_never_ran_starts_another() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let first = tokio::task::LocalSet::new();
            first
                .run_until(async {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let client = TcpStream::connect(listener.local_addr().unwrap());
                    let (_client, accepted) = tokio::join!(client, listener.accept());
                    let admission = ConnectionLimits::new(1, 0, 0, 0.0, 0.0)
                        .admit(IpAddr::V4(Ipv4Addr::LOCALHOST), None)
                        .unwrap();
                    let (_outbox, outgoing) = Outbox::bounded(QueueLimits::frames(10));
                    let writer = Writer::new(
                        Rc::new(accepted.unwrap().0),
                        Bytes::from_static(b"HS"),
                        outgoing,
                        admission,
                    );
                    // Seated, which spawns the desk's task; nothing yields before the set goes.
                    drop(SharedWriter::seat(writer));
                })
                .await;
            drop(first);
            tokio::task::LocalSet::new()
                .run_until(async {
                    let (read, expected) = left_waiting(true).await;
                    assert!(
                        read.len() > 2 + 10 * 9 && expected.starts_with(&read),
                        "not rescued: {:?}",
                        String::from_utf8_lossy(&read)
                    );
                })
                .await;
        });
    }
}
