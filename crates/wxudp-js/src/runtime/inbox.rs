//! The socket events waiting for their listeners, one queue per socket, handed out
//! round-robin across sockets.
//!
//! Every socket's events reach the loop through one channel, in the order they
//! happened. A single FIFO would put one flooded socket's backlog in front of every
//! other socket's events: a datagram for socket B waits behind all of A's. The loop
//! therefore moves what the channel holds into an [`Inbox`] at the start of a turn and
//! takes events from it in rounds: at most [`QUANTUM`] of one socket, then the next
//! socket with events waiting, and so on. One socket's events keep their order; an
//! event of a socket waits for at most [`QUANTUM`] events of each other socket with a
//! backlog (and never for a backlog as a whole).
//!
//! Every operation is O(1) (a hash lookup and a ring rotation). Memory follows what
//! waits: a socket's queue is freed as soon as it is empty, so nothing grows with the
//! number of sockets ever created, and what a queue holds is bounded by the budgets the
//! events carry (received bytes, error events; see docs/SECURITY.md).

use std::collections::VecDeque;

use crate::wx::udp::sockets::IdMap;

/// Events of one socket handed out in a row before the next socket's turn comes. Small,
/// because rotating costs next to nothing: a datagram of a quiet socket waits for at
/// most this many listener runs of each busy one. Not 1, so that a socket's short burst
/// (a reply and its follow-ups) is usually handled together.
pub(super) const QUANTUM: usize = 4;

/// Events waiting for delivery, keyed by socket id; see the module documentation.
#[derive(Debug)]
pub(super) struct Inbox<T> {
    /// Each socket's waiting events, oldest first; only sockets with at least one.
    queues: IdMap<VecDeque<T>>,
    /// The sockets with events waiting, in the order they are served; the front one is
    /// being served. Holds exactly the keys of `queues`.
    ring: VecDeque<u64>,
    /// Events the front socket has given in its current round.
    served: usize,
    /// Events waiting, all sockets.
    len: usize,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Inbox {
            queues: IdMap::default(),
            ring: VecDeque::new(),
            served: 0,
            len: 0,
        }
    }
}

impl<T> Inbox<T> {
    /// Queues `event` of socket `id` behind that socket's other events. A socket that
    /// had none joins the end of the round.
    pub(super) fn push(&mut self, id: u64, event: T) {
        let queue = self.queues.entry(id).or_insert_with(|| {
            self.ring.push_back(id);
            // Room for two: most sockets with events waiting have one or two (a
            // `listening` and a `close`, say); an empty queue grows to four at once.
            VecDeque::with_capacity(2)
        });
        queue.push_back(event);
        self.len += 1;
    }

    /// The next event to deliver: the oldest one of the socket being served. A socket
    /// that has given [`QUANTUM`] events goes to the end of the round; one with none
    /// left leaves it.
    pub(super) fn pop(&mut self) -> Option<(u64, T)> {
        let &id = self.ring.front()?;
        let Some(queue) = self.queues.get_mut(&id) else {
            // Not reached: the ring holds exactly the sockets with a queue.
            self.ring.pop_front();
            self.served = 0;
            return self.pop();
        };
        let event = queue.pop_front();
        let emptied = queue.is_empty();
        if emptied {
            self.queues.remove(&id);
            self.ring.pop_front();
            self.served = 0;
        } else {
            self.served += 1;
            if self.served >= QUANTUM {
                self.ring.rotate_left(1);
                self.served = 0;
            }
        }
        let event = event?;
        self.len -= 1;
        Some((id, event))
    }

    /// Ends the current round of the socket being served, if it gave anything: it goes
    /// to the end, so a turn cut short by its time slice does not let it go first again.
    pub(super) fn end_turn(&mut self) {
        if self.served > 0 {
            self.ring.rotate_left(1);
            self.served = 0;
        }
    }

    /// Events waiting, all sockets.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sockets with events waiting.
    #[cfg(test)]
    fn sockets(&self) -> usize {
        self.queues.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(inbox: &mut Inbox<u32>) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| inbox.pop()).collect()
    }

    #[test]
    fn one_socket_keeps_its_order() {
        let mut inbox = Inbox::default();
        for i in 0..100 {
            inbox.push(7, i);
        }
        assert_eq!(inbox.len(), 100);
        let got: Vec<u32> = drain(&mut inbox).into_iter().map(|(_, e)| e).collect();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert!(inbox.is_empty());
        assert_eq!(inbox.sockets(), 0, "an empty queue is freed");
        assert_eq!(inbox.pop(), None);
    }

    #[test]
    fn a_backlog_gives_a_quantum_then_the_next_socket_goes() {
        let mut inbox = Inbox::default();
        for i in 0..1000 {
            inbox.push(1, i);
        }
        inbox.push(2, 5000);
        inbox.push(3, 6000);
        inbox.push(2, 5001);
        let got = drain(&mut inbox);
        let first_of = |id: u64| got.iter().position(|&(s, _)| s == id).unwrap();
        assert_eq!(first_of(1), 0);
        assert_eq!(first_of(2), QUANTUM, "after one quantum of the backlog");
        assert_eq!(
            first_of(3),
            QUANTUM + 2,
            "socket 2 gives both of its events"
        );
        // Each socket's events in their order, none lost.
        for id in 1..=3 {
            let mine: Vec<u32> = got.iter().filter(|e| e.0 == id).map(|e| e.1).collect();
            let mut sorted = mine.clone();
            sorted.sort_unstable();
            assert_eq!(mine, sorted);
        }
        assert_eq!(got.len(), 1003);
    }

    #[test]
    fn busy_sockets_alternate_by_quanta() {
        let mut inbox = Inbox::default();
        for i in 0..40 {
            inbox.push(1, i);
            inbox.push(2, 100 + i);
        }
        let got = drain(&mut inbox);
        for (n, chunk) in got.chunks(QUANTUM).enumerate() {
            let id = if n % 2 == 0 { 1 } else { 2 };
            assert!(chunk.iter().all(|e| e.0 == id), "round {n}: {chunk:?}");
        }
    }

    #[test]
    fn a_socket_that_comes_back_joins_the_end_of_the_round() {
        let mut inbox = Inbox::default();
        inbox.push(1, 0);
        inbox.push(2, 10);
        inbox.push(2, 11);
        assert_eq!(inbox.pop(), Some((1, 0)));
        // Socket 1 left the round when its queue emptied; it comes back behind 2.
        inbox.push(1, 1);
        assert_eq!(drain(&mut inbox), [(2, 10), (2, 11), (1, 1)]);
    }

    #[test]
    fn a_turn_cut_short_sends_the_served_socket_to_the_end() {
        let mut inbox = Inbox::default();
        for i in 0..10 {
            inbox.push(1, i);
        }
        inbox.push(2, 100);
        assert_eq!(inbox.pop(), Some((1, 0)));
        inbox.end_turn();
        assert_eq!(
            inbox.pop(),
            Some((2, 100)),
            "socket 2 goes first in the next turn"
        );
        // A turn that ends at a round's boundary changes nothing.
        inbox.end_turn();
        assert_eq!(inbox.pop(), Some((1, 1)));
        assert_eq!(inbox.len(), 8);
    }
}
