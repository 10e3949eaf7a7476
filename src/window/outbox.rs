//! The outbox: one bounded queue of outgoing frames per connection.
//!
//! Producers (the registry fanning out, the window replying) push without waiting; a full
//! queue means the client is not reading fast enough, so the connection is closed with 1013
//! instead of slowing every producer down or growing memory without bound. One consumer (the
//! connection's writer) drains the queue in order, by polling, with no task or channel in
//! between.
//!
//! The queue is bounded three ways ([`QueueLimits`]): in frames, in bytes (a frame always
//! fits into an empty queue, so one large signal never closes a window), and in time: frames
//! that wait while the writer takes nothing for the write timeout mean the socket accepts
//! nothing. Beyond any of them the queue is emptied at once (its memory is freed, nothing
//! more is queued) and the writer is told to close with 1013 without flushing. Time is read
//! from a coarse clock (one atomic load), only when a frame is pushed behind others.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::web::Bytes;
use bytestring::ByteString;
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;

use super::coarse_clock::{millis, now_ms};
use super::rescue::{Ticket, RESCUE_AFTER_MS};
use crate::protocol::Disconnect;
use crate::topic::{Eviction, Member, SharedMember};

/// A queue this large when empty is shrunk back (a burst must not pin its memory).
const SHRINK_ABOVE: usize = 64;

/// How much may wait for one connection's writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Frames (at least one).
    pub frames: usize,
    /// Bytes of frames; a frame pushed into an empty queue is accepted whatever its size.
    pub bytes: usize,
    /// How long frames may wait while the writer takes none (the socket accepts nothing).
    pub write_timeout: Duration,
}

impl QueueLimits {
    /// A bound in frames only.
    pub fn frames(frames: usize) -> QueueLimits {
        QueueLimits {
            frames,
            bytes: usize::MAX,
            write_timeout: Duration::MAX,
        }
    }
}

/// The frames of one connection, behind one lock.
#[derive(Debug, Default)]
struct Queue {
    /// Frames for the writer, oldest first; never longer than the capacity (except right
    /// after a recovery, by at most the replay).
    frames: VecDeque<ByteString>,
    /// Bytes of the frames waiting: in `frames`, or held.
    bytes: usize,
    /// Since when (coarse milliseconds) frames have waited with no progress by the writer;
    /// `None` until a frame is pushed behind another, or the periodic check finds frames.
    waiting_since: Option<u64>,
    /// While the connection recovers what it missed: what was delivered meanwhile, with the
    /// offsets, held back until the replay is queued before it. `None` otherwise, so an idle
    /// window pays one pointer for it.
    held: Option<Box<Held>>,
    /// The offset of the position the connection announced: a delivery at or below it that
    /// comes later (the registry was behind the history when it was read) was replayed or
    /// precedes the connection, and is dropped.
    floor: u64,
    /// A server ping is due.
    ping: bool,
    /// The payload of the latest client ping, to answer. At most one waits: a newer pong
    /// replaces an older one (RFC 6455 §5.5.3 allows answering only the latest ping).
    pong: Option<Bytes>,
    /// Where to ask for the writer's rescue when frames wait long ([`super::rescue`]);
    /// `None` for a queue that no connection's task drains.
    ticket: Option<Ticket>,
    /// A rescue was asked for since the writer last took a frame.
    rescue_asked: bool,
}

/// Deliveries held back during a recovery.
#[derive(Debug, Default)]
struct Held(Vec<(Option<u64>, ByteString)>);

/// What the producers and the writer of one connection share.
///
/// A mutex-guarded `VecDeque` rather than a tokio channel: it allocates nothing until the
/// first frame (an idle window costs a few dozen bytes here instead of a channel block of
/// about 1.5 KB), and a push is one uncontended lock (the channel's semaphore was the top
/// entry of a fan-out profile).
#[derive(Debug)]
struct Shared {
    /// Frames waiting to be written, and those held back during a recovery.
    queue: Mutex<Queue>,
    /// What may wait (1013 beyond).
    limits: QueueLimits,
    /// The write timeout in milliseconds.
    write_timeout_ms: u64,
    /// The reason the connection must close, set at most once.
    reason: OnceLock<Disconnect>,
    /// Wakes the writer on a new frame, a close request or the last producer leaving (it
    /// polls; no task waits on it).
    writer: AtomicWaker,
    /// Wakes the one task that watches for a close ([`Outbox::poll_closed`]: the window's,
    /// to stop).
    closer: AtomicWaker,
    /// Live `Outbox` handles; none left means nothing more can be queued.
    senders: AtomicUsize,
    /// Set when the writer is gone: pushing is then pointless.
    receiver_gone: AtomicBool,
    /// Set when a limit was passed: the queue was emptied and takes nothing more.
    overflowed: AtomicBool,
}

/// The sending side of a connection's queue. Cheap to clone.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// What the writer should do next.
#[derive(Debug, PartialEq)]
pub enum Outgoing {
    /// Write this text frame.
    Frame(ByteString),
    /// Close the connection with this reason; the writer decides what becomes of frames
    /// still queued ([`OutboxReceiver::try_frame`] takes them).
    Close(Disconnect),
    /// Every producer is gone: close normally.
    Finished,
}

/// The receiving side, owned by the connection's writer.
#[derive(Debug)]
pub struct OutboxReceiver {
    shared: Arc<Shared>,
}

impl Outbox {
    /// A queue holding at most `capacity` frames (at least one).
    pub fn new(capacity: usize) -> (Outbox, OutboxReceiver) {
        Outbox::bounded(QueueLimits::frames(capacity))
    }

    /// A queue within `limits`.
    pub fn bounded(limits: QueueLimits) -> (Outbox, OutboxReceiver) {
        Outbox::with_queue(limits, Queue::default())
    }

    /// A queue within `limits` that holds back what is pushed until [`Outbox::resume`]: the
    /// writer sees nothing before (except a close). For a connection that first recovers
    /// what it missed.
    pub fn held(limits: QueueLimits) -> (Outbox, OutboxReceiver) {
        let queue = Queue {
            held: Some(Box::default()),
            ..Queue::default()
        };
        Outbox::with_queue(limits, queue)
    }

    fn with_queue(limits: QueueLimits, queue: Queue) -> (Outbox, OutboxReceiver) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            limits: QueueLimits {
                frames: limits.frames.max(1),
                ..limits
            },
            write_timeout_ms: millis(limits.write_timeout),
            reason: OnceLock::new(),
            writer: AtomicWaker::new(),
            closer: AtomicWaker::new(),
            senders: AtomicUsize::new(1),
            receiver_gone: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
        });
        (
            Outbox {
                shared: shared.clone(),
            },
            OutboxReceiver { shared },
        )
    }

    /// Asks the writer for a server ping. Control frames are not held during a recovery and
    /// are not counted against the limits.
    pub fn ping(&self) {
        self.shared.queue.lock().ping = true;
        self.shared.writer.wake();
    }

    /// Asks the writer for a pong answering a client ping with `payload`.
    pub fn pong(&self, payload: Bytes) {
        self.shared.queue.lock().pong = Some(payload);
        self.shared.writer.wake();
    }

    /// Queues a frame. Returns `false` when it was not queued: the queue was full (the
    /// connection is then closed with 1013) or the connection is already gone.
    pub fn push(&self, frame: ByteString) -> bool {
        self.shared.push(frame, None)
    }

    /// Ends the hold of [`Outbox::held`], queuing, in this order:
    ///
    /// 1. `replay` (what the connection missed, with offsets), merged in offset order with
    ///    the held deliveries at or below `top` that it does not contain, when
    ///    `keep_earlier` (else those are dropped: after a failed recovery the page refetches
    ///    its state instead);
    /// 2. `announce`, the position frame;
    /// 3. every other held frame, in arrival order (deliveries above `top`, replies).
    ///
    /// From then on, deliveries at or below `top` are dropped: nothing at or below the
    /// announced position comes after it (a client that keeps the highest offset it saw loses
    /// nothing when the connection drops), and nothing is sent twice. Without `top` (no
    /// position could be read), held frames follow `replay` as they came.
    pub fn resume(
        &self,
        replay: Vec<(u64, ByteString)>,
        top: Option<u64>,
        announce: ByteString,
        keep_earlier: bool,
    ) {
        let mut queue = self.shared.queue.lock();
        let held = queue.held.take().map(|h| h.0).unwrap_or_default();
        queue.floor = top.unwrap_or(0);
        let mut before: Vec<(u64, ByteString)> = replay;
        let replayed = before.len();
        let mut after = Vec::with_capacity(held.len());
        for (offset, frame) in held {
            match (offset, top) {
                (Some(o), Some(top)) if o <= top => {
                    let in_replay = before[..replayed]
                        .binary_search_by_key(&o, |(r, _)| *r)
                        .is_ok();
                    if keep_earlier && !in_replay {
                        before.push((o, frame));
                    }
                }
                _ => after.push(frame),
            }
        }
        if before.len() > replayed {
            before.sort_by_key(|(offset, _)| *offset);
        }
        // Held frames were counted when pushed; what was dropped no longer waits.
        queue.bytes = std::iter::once(&announce)
            .chain(before.iter().map(|(_, frame)| frame))
            .chain(&after)
            .map(|frame| frame.len())
            .sum();
        queue
            .frames
            .extend(before.into_iter().map(|(_, frame)| frame));
        queue.frames.push_back(announce);
        queue.frames.extend(after);
        drop(queue);
        self.shared.writer.wake();
    }

    /// Gives the queue where to ask for its writer's rescue ([`super::rescue`]).
    pub(super) fn seat(&self, ticket: Ticket) {
        self.shared.queue.lock().ticket = Some(ticket);
    }

    /// Asks the writer to close the connection. The first reason given wins.
    pub fn close(&self, reason: Disconnect) {
        self.shared.close(reason);
    }

    /// Hands this producer to the topic registry as a [`Member`]: the registry then points
    /// at the shared queue itself (one indirection per delivery, as fan-out wants), and
    /// counts as a producer until it calls [`Member::release`].
    pub fn into_member(self) -> SharedMember {
        // The producer count this handle holds passes to the registry: counted once more,
        // then this handle is dropped (counted out), which leaves the count as it was. (An
        // earlier version forgot the handle instead, which leaked its reference to the
        // queue: one queue per connection, never freed.)
        self.shared.senders.fetch_add(1, Ordering::AcqRel);
        let member: SharedMember = self.shared.clone();
        drop(self);
        member
    }

    /// Closes the connection with 1013 when frames have waited longer than the write
    /// timeout with no progress by the writer; starts the clock when frames wait and it is
    /// not running. For a periodic check: a stalled connection that is sent nothing more is
    /// closed too.
    pub fn check_stalled(&self) {
        self.shared.check_stalled();
    }

    /// Whether the connection's writer has gone away or was asked to close.
    pub fn is_closed(&self) -> bool {
        self.shared.receiver_gone.load(Ordering::Acquire) || self.shared.reason.get().is_some()
    }

    /// The reason of the close, once one is requested.
    pub fn reason(&self) -> Option<Disconnect> {
        self.shared.reason.get().copied()
    }

    /// The reason of the close once one is requested; until then, registers the task to be
    /// woken by it. One task watches a queue: a later registration replaces an earlier one.
    pub fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<Disconnect> {
        if let Some(reason) = self.shared.reason.get() {
            return Poll::Ready(*reason);
        }
        self.shared.closer.register(cx.waker());
        // Checked again after registering, so a close between the two is not missed.
        match self.shared.reason.get() {
            Some(reason) => Poll::Ready(*reason),
            None => Poll::Pending,
        }
    }

    /// Waits until a close is requested, and returns its reason (see
    /// [`Outbox::poll_closed`]).
    pub async fn closed(&self) -> Disconnect {
        poll_fn(|cx| self.poll_closed(cx)).await
    }
}

impl Shared {
    fn push(&self, frame: ByteString, offset: Option<u64>) -> bool {
        if self.receiver_gone.load(Ordering::Acquire) || self.overflowed() {
            return false;
        }
        let mut queue = self.queue.lock();
        if offset.is_some_and(|o| o <= queue.floor) {
            // Replayed already, or older than the connection's position.
            return true;
        }
        let waiting = queue
            .held
            .as_ref()
            .map_or(queue.frames.len(), |h| h.0.len());
        let bytes = queue.bytes + frame.len();
        let too_much = waiting >= self.limits.frames || (waiting > 0 && bytes > self.limits.bytes);
        // How long the writer has left frames waiting: only frames it could take count (not
        // held ones).
        let waited = (waiting > 0 && queue.held.is_none()).then(|| {
            let now = now_ms();
            now.saturating_sub(*queue.waiting_since.get_or_insert(now))
        });
        // The write timeout.
        let stalled = waited.is_some_and(|waited| waited >= self.write_timeout_ms);
        if too_much || stalled {
            self.overflow(queue);
            return false;
        }
        // Waiting long: ask the writer's thread to write it (once until the writer takes a
        // frame again).
        if waited.is_some_and(|waited| waited >= RESCUE_AFTER_MS) && !queue.rescue_asked {
            let queue = &mut *queue;
            if let Some(ticket) = &queue.ticket {
                queue.rescue_asked = true;
                ticket.ask();
            }
        }
        queue.bytes = bytes;
        match &mut queue.held {
            // Held back: the writer must not see it yet.
            Some(held) => {
                held.0.push((offset, frame));
                return true;
            }
            None => queue.frames.push_back(frame),
        }
        drop(queue);
        self.writer.wake();
        true
    }

    /// Whether the queue overflowed (it then takes nothing more).
    fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    /// Frees everything waiting, takes nothing more, and asks the writer to close with 1013
    /// at once (unless another close was asked for first).
    fn overflow(&self, mut queue: parking_lot::MutexGuard<'_, Queue>) {
        self.overflowed.store(true, Ordering::Release);
        let dropped = std::mem::take(&mut *queue);
        drop(queue);
        drop(dropped);
        self.close(Disconnect::TooSlow);
    }

    fn check_stalled(&self) {
        let now = now_ms();
        let mut queue = self.queue.lock();
        if queue.frames.is_empty() {
            return;
        }
        let since = *queue.waiting_since.get_or_insert(now);
        if now.saturating_sub(since) >= self.write_timeout_ms {
            self.overflow(queue);
        }
    }

    fn close(&self, reason: Disconnect) {
        if self.reason.set(reason).is_ok() {
            self.writer.wake();
            self.closer.wake();
        }
    }

    /// One producer is gone; the last one wakes the writer to finish.
    fn leave(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.writer.wake();
        }
    }
}

/// The registry delivers into the queue, and evicts by closing it with the matching code.
impl Member for Shared {
    fn deliver(&self, frame: ByteString, offset: Option<u64>) -> bool {
        self.push(frame, offset)
    }

    fn evict(&self, reason: Eviction) {
        self.close(match reason {
            Eviction::Deleted => Disconnect::Policy,
            Eviction::Shutdown => Disconnect::Shutdown,
        });
    }

    fn release(&self) {
        self.leave();
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Outbox {
        self.shared.senders.fetch_add(1, Ordering::AcqRel);
        Outbox {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.shared.leave();
    }
}

impl OutboxReceiver {
    /// The next thing to do, or `Pending` (the task is woken by a frame or a close). A
    /// close request takes priority over queued frames.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Outgoing> {
        self.shared.writer.register(cx.waker());
        self.next_registered()
    }

    /// [`OutboxReceiver::poll_next`] for a writer whose waker is registered already in this
    /// same poll of its task (by [`OutboxReceiver::take_control`], which registers before it
    /// reads): what is pushed after that registration wakes it, so a writer taking several
    /// frames in one poll registers once, not once per frame.
    pub fn next_registered(&mut self) -> Poll<Outgoing> {
        if let Some(reason) = self.shared.reason.get() {
            return Poll::Ready(Outgoing::Close(*reason));
        }
        if let Some(frame) = self.try_frame() {
            return Poll::Ready(Outgoing::Frame(frame));
        }
        if self.shared.senders.load(Ordering::Acquire) == 0 {
            return Poll::Ready(Outgoing::Finished);
        }
        Poll::Pending
    }

    /// Waits for the next thing to do (see [`OutboxReceiver::poll_next`]).
    pub async fn next(&mut self) -> Outgoing {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// What [`OutboxReceiver::poll_next`] would find at once, without taking it: `None`
    /// when nothing (it would wait), else the frames waiting (none when only a close request
    /// or the end is).
    pub fn backlog(&self) -> Option<usize> {
        let frames = self.shared.queue.lock().frames.len();
        let ready = frames > 0
            || self.shared.reason.get().is_some()
            || self.shared.senders.load(Ordering::Acquire) == 0;
        ready.then_some(frames)
    }

    /// The control frames due, taken: whether a ping is, and the pong's payload if one is;
    /// registers the task to be woken when either is set again (as a frame wakes it).
    pub fn take_control(&mut self, cx: &Context<'_>) -> (bool, Option<Bytes>) {
        // Before reading: one set in between wakes this registration.
        self.shared.writer.register(cx.waker());
        let mut queue = self.shared.queue.lock();
        (std::mem::take(&mut queue.ping), queue.pong.take())
    }

    /// A frame still queued, if any: lets a writer flush what was accepted before a close.
    pub fn try_frame(&mut self) -> Option<ByteString> {
        let mut queue = self.shared.queue.lock();
        let frame = queue.frames.pop_front()?;
        queue.bytes -= frame.len();
        // Progress: the write timeout counts again from the next frame pushed behind another,
        // and so does the wait before a rescue.
        queue.waiting_since = None;
        queue.rescue_asked = false;
        if queue.frames.is_empty() && queue.frames.capacity() > SHRINK_ABOVE {
            queue.frames = VecDeque::new();
        }
        Some(frame)
    }
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Release);
        // Free what nobody will write.
        std::mem::take(&mut *self.shared.queue.lock());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_handed_to_the_registry_is_freed_once_everyone_let_go() {
        let (outbox, rx) = Outbox::new(4);
        let queue = Arc::downgrade(&outbox.shared);
        let member = outbox.clone().into_member();
        assert_eq!(
            outbox.shared.senders.load(Ordering::Acquire),
            2,
            "the window's handle and the registry's"
        );
        member.release();
        drop(member);
        assert_eq!(outbox.shared.senders.load(Ordering::Acquire), 1);
        drop(outbox);
        drop(rx);
        assert!(queue.upgrade().is_none(), "the queue was not freed");
    }

    #[tokio::test]
    async fn frames_in_order_then_overflow_closes() {
        let (outbox, mut rx) = Outbox::new(2);
        assert!(outbox.push("a".into()));
        assert!(outbox.push("b".into()));
        assert!(
            !outbox.push("c".into()),
            "third frame overflows a queue of two"
        );
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::TooSlow));
    }

    #[tokio::test]
    async fn drains_in_order() {
        let (outbox, mut rx) = Outbox::new(4);
        for f in ["1", "2", "3"] {
            assert!(outbox.push(f.into()));
        }
        for f in ["1", "2", "3"] {
            assert_eq!(rx.next().await, Outgoing::Frame(f.into()));
        }
        drop(outbox);
        assert_eq!(rx.next().await, Outgoing::Finished);
    }

    #[tokio::test]
    async fn first_close_reason_wins() {
        let (outbox, mut rx) = Outbox::new(4);
        outbox.close(Disconnect::Policy);
        outbox.close(Disconnect::Shutdown);
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::Policy));
        assert!(outbox.is_closed());
    }

    #[tokio::test]
    async fn finished_when_every_producer_is_gone() {
        let (outbox, mut rx) = Outbox::new(4);
        let other = outbox.clone();
        drop(outbox);
        assert!(other.push("x".into()));
        drop(other);
        assert_eq!(rx.next().await, Outgoing::Frame("x".into()));
        assert_eq!(rx.next().await, Outgoing::Finished);
    }

    #[tokio::test]
    async fn a_waiting_writer_is_woken_by_a_push() {
        let (outbox, mut rx) = Outbox::new(4);
        let writer = tokio::spawn(async move { rx.next().await });
        tokio::task::yield_now().await;
        assert!(outbox.push("late".into()));
        assert_eq!(writer.await.unwrap(), Outgoing::Frame("late".into()));
    }

    /// A waker that counts its wake-ups.
    struct Count(AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_ping_or_pong_asked_after_the_slots_were_read_wakes_the_writer() {
        let (outbox, mut rx) = Outbox::new(4);
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        // The writer reads the slots (nothing due yet), then the ping comes.
        assert_eq!(rx.take_control(&cx), (false, None));
        outbox.ping();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the ping woke nobody");
        assert_eq!(rx.take_control(&cx), (true, None));
        outbox.pong(Bytes::from_static(b"p"));
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "the pong woke nobody");
        assert_eq!(
            rx.take_control(&cx),
            (false, Some(Bytes::from_static(b"p")))
        );
    }

    #[test]
    fn a_frame_pushed_after_the_writer_found_none_wakes_it_without_a_second_registration() {
        let (outbox, mut rx) = Outbox::new(4);
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        // A frame waits before the writer's poll (no waker registered yet).
        assert!(outbox.push("a".into()));
        // One poll of the writer: the control slots (which registers), then the frames.
        rx.take_control(&cx);
        assert_eq!(
            rx.next_registered(),
            Poll::Ready(Outgoing::Frame("a".into()))
        );
        assert_eq!(rx.next_registered(), Poll::Pending);
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        // The poll ends; a frame comes.
        assert!(outbox.push("b".into()));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the frame woke nobody: the writer would sleep with it queued"
        );
    }

    #[tokio::test]
    async fn a_member_counts_as_a_producer_until_released() {
        let (outbox, mut rx) = Outbox::new(4);
        let member = outbox.into_member();
        assert!(member.deliver("m".into(), None));
        assert_eq!(rx.next().await, Outgoing::Frame("m".into()));
        member.evict(Eviction::Deleted);
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::Policy));
        let (outbox, mut rx) = Outbox::new(4);
        let member = outbox.into_member();
        assert_eq!(
            futures_util::FutureExt::now_or_never(rx.next()),
            None,
            "the registry still holds it"
        );
        member.release();
        assert_eq!(rx.next().await, Outgoing::Finished);
    }

    #[tokio::test]
    async fn a_held_outbox_queues_the_replay_first_and_drops_what_it_replayed() {
        let (outbox, mut rx) = Outbox::held(QueueLimits::frames(5));
        let member = outbox.clone().into_member();
        assert!(member.deliver("live 5".into(), Some(5)));
        assert!(outbox.push("reply".into()));
        assert!(member.deliver("live 7".into(), Some(7)));
        assert_eq!(
            futures_util::FutureExt::now_or_never(rx.next()),
            None,
            "nothing reaches the writer while held"
        );
        assert!(member.deliver("live 4".into(), Some(4)));
        outbox.resume(
            vec![(3, "replay 3".into()), (5, "replay 5".into())],
            Some(6),
            "position 6".into(),
            true,
        );
        for frame in [
            "replay 3",
            "live 4",
            "replay 5",
            "position 6",
            "reply",
            "live 7",
        ] {
            assert_eq!(rx.next().await, Outgoing::Frame(frame.into()));
        }
        assert!(member.deliver("live 8".into(), Some(8)), "live again");
        assert_eq!(rx.next().await, Outgoing::Frame("live 8".into()));
        assert!(
            member.deliver("late 5".into(), Some(5)),
            "accepted, to be dropped"
        );
        assert!(member.deliver("live 9".into(), Some(9)));
        assert_eq!(
            rx.next().await,
            Outgoing::Frame("live 9".into()),
            "a delivery at or below the position, late, is not sent again"
        );
    }

    #[tokio::test]
    async fn after_a_failed_recovery_nothing_at_or_below_the_position_is_sent() {
        let (outbox, mut rx) = Outbox::held(QueueLimits::frames(4));
        let member = outbox.clone().into_member();
        assert!(member.deliver("live 4".into(), Some(4)));
        assert!(member.deliver("live 7".into(), Some(7)));
        outbox.resume(Vec::new(), Some(6), "position 6".into(), false);
        for frame in ["position 6", "live 7"] {
            assert_eq!(rx.next().await, Outgoing::Frame(frame.into()));
        }
    }

    #[tokio::test]
    async fn without_a_position_held_frames_follow_and_nothing_is_dropped() {
        let (outbox, mut rx) = Outbox::held(QueueLimits::frames(4));
        let member = outbox.clone().into_member();
        assert!(member.deliver("live 4".into(), Some(4)));
        outbox.resume(Vec::new(), None, "no position".into(), false);
        assert!(member.deliver("live 5".into(), Some(5)));
        for frame in ["no position", "live 4", "live 5"] {
            assert_eq!(rx.next().await, Outgoing::Frame(frame.into()));
        }
    }

    #[tokio::test]
    async fn a_held_outbox_is_bounded_too() {
        let (outbox, mut rx) = Outbox::held(QueueLimits::frames(2));
        assert!(outbox.push("a".into()));
        assert!(outbox.push("b".into()));
        assert!(!outbox.push("c".into()));
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::TooSlow));
    }

    #[test]
    fn pushing_after_the_writer_left_fails() {
        let (outbox, rx) = Outbox::new(4);
        drop(rx);
        assert!(!outbox.push("x".into()));
        assert!(outbox.is_closed());
    }

    fn limits(bytes: usize, write_timeout: Duration) -> QueueLimits {
        QueueLimits {
            frames: 100,
            bytes,
            write_timeout,
        }
    }

    #[tokio::test]
    async fn the_byte_bound_empties_the_queue_and_closes_at_once() {
        let (outbox, mut rx) = Outbox::bounded(limits(10, Duration::MAX));
        assert!(
            outbox.push("0123456789abcdef".into()),
            "a large frame fits an empty queue"
        );
        assert_eq!(rx.next().await, Outgoing::Frame("0123456789abcdef".into()));
        assert!(outbox.push("12345".into()));
        assert!(outbox.push("67890".into()), "exactly at the bound");
        assert!(!outbox.push("x".into()), "one byte beyond");
        assert_eq!(
            rx.next().await,
            Outgoing::Close(Disconnect::TooSlow),
            "the close comes before anything queued"
        );
        assert_eq!(rx.try_frame(), None, "what waited was freed");
        assert!(!outbox.push("y".into()), "nothing more is queued");
    }

    #[tokio::test]
    async fn taking_frames_frees_their_bytes() {
        let (outbox, mut rx) = Outbox::bounded(limits(10, Duration::MAX));
        for _ in 0..5 {
            assert!(outbox.push("12345".into()));
            assert!(outbox.push("67890".into()));
            assert_eq!(rx.try_frame(), Some("12345".into()));
            assert_eq!(rx.try_frame(), Some("67890".into()));
        }
    }

    /// A write timeout of three ticks of the coarse clock, and a wait sure to pass it.
    const TIMEOUT: Duration = Duration::from_millis(300);
    const PAST_IT: Duration = Duration::from_millis(500);

    #[tokio::test]
    async fn frames_waiting_past_the_write_timeout_close_the_connection() {
        let timeout = TIMEOUT;
        let (outbox, mut rx) = Outbox::bounded(limits(usize::MAX, timeout));
        assert!(outbox.push("a".into()));
        assert!(outbox.push("b".into()), "the clock starts");
        tokio::time::sleep(PAST_IT).await;
        assert_eq!(rx.try_frame(), Some("a".into()), "the writer made progress");
        assert!(outbox.push("c".into()), "so the clock starts again");
        outbox.check_stalled();
        assert!(!outbox.is_closed(), "not stalled yet");
        tokio::time::sleep(PAST_IT).await;
        outbox.check_stalled();
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::TooSlow));
        assert_eq!(rx.try_frame(), None, "what waited was freed");
    }

    #[tokio::test]
    async fn a_push_behind_stalled_frames_closes_the_connection() {
        let (outbox, mut rx) = Outbox::bounded(limits(usize::MAX, TIMEOUT));
        assert!(outbox.push("a".into()));
        outbox.check_stalled();
        tokio::time::sleep(PAST_IT).await;
        assert!(!outbox.push("b".into()));
        assert_eq!(rx.next().await, Outgoing::Close(Disconnect::TooSlow));
    }

    #[tokio::test]
    async fn an_idle_queue_never_times_out() {
        let (outbox, mut rx) = Outbox::bounded(limits(usize::MAX, TIMEOUT));
        assert!(outbox.push("a".into()));
        assert_eq!(rx.try_frame(), Some("a".into()));
        tokio::time::sleep(PAST_IT).await;
        outbox.check_stalled();
        assert!(outbox.push("b".into()), "an empty queue was never stalled");
        assert!(!outbox.is_closed());
    }

    #[tokio::test]
    async fn closed_resolves_with_the_reason() {
        let (outbox, _rx) = Outbox::new(4);
        let waiter = outbox.clone();
        let waiting = tokio::spawn(async move { waiter.closed().await });
        tokio::task::yield_now().await;
        outbox.close(Disconnect::TooBig);
        assert_eq!(waiting.await.unwrap(), Disconnect::TooBig);
    }
}
