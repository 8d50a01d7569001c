//! The reference load balancer against light peer crates from crates.io.
//!
//! Run with
//! `cargo bench --manifest-path solutions/load-balancer/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`
//! (a workspace of its own: see `src/lib.rs`).
//!
//! # The peers
//!
//! - **`hashring` 0.3** (consistent-hash ring): a `Vec` of points sorted by
//!   position, binary search, SipHash-2-4 by default. It has no notion of
//!   virtual nodes: a caller adds one item per point, here `(node, replica)`.
//! - **`jump-consistent-hash` 0.1** (`hash(u64, usize)`): the paper's loop on a
//!   raw `u64`, like ours.
//! - **`jumphash` 0.1**: the paper's loop after hashing the key with a
//!   `Hasher`: SipHash-1-3 by default (`JumpHasher`), or any hasher
//!   (`CustomJumpHasher`).
//! - **`weighted-rs` 0.1**: `RoundrobinWeight` (LVS-style weighted
//!   round-robin, which with every weight 1 is plain round-robin) and
//!   `SmoothWeight` (nginx's smooth weighted round-robin, like ours). Both
//!   take `&mut self`: they are not shareable across threads on their own.
//! - No light crate offers least-connections or power of two choices (the ones
//!   that do are async, on tokio, or part of a whole proxy). Least-connections
//!   is compared with a plain baseline written here, idle (every request over
//!   before the next, so the scan stops at the first backend) and busy (one
//!   request held on every backend, so the scan reads them all), on one
//!   thread and two; power of two choices is timed alone, for the record.
//! - Round-robin also has two baselines written here: `Mutex<usize>` (the
//!   simplest shareable turn) and a bare `AtomicUsize` (a floor: no health,
//!   no list changes, so no lock at all).
//!
//! # What is compared, and why it is fair
//!
//! - **Same answers, checked before timing.** Every group first runs the sides
//!   in lockstep, untimed, and asserts what they must agree on:
//!   - round-robin and smooth weighted round-robin: the same sequence of
//!     backends, one pick after another; with two threads, `k × n` picks give
//!     every backend exactly its share on every side;
//!   - jump hash: the same bucket for 1,000 random keys at several bucket
//!     counts (`jumphash` through an identity `Hasher`, so that it sees the
//!     raw key as the others do). `jumphash`'s default, which hashes the key
//!     with SipHash-1-3 first, gives *different* answers by design: its row is
//!     there to show what that extra hashing costs, and the check asserts that
//!     it differs;
//!   - the ring: `hashring` is given, through its `BuildHasher` parameter, the
//!     same point and key positions as ours (see `OurPositions`), and then
//!     answers every key exactly as ours does: the rows `hashring_our_hash`
//!     compare the data structures alone. The rows `hashring_siphash` are the
//!     crate out of the box (other positions, so other owners; the check only
//!     asserts that every node owns keys).
//! - **Same sharing.** Our pickers take `&self` and are shared by threads, so
//!   the `&mut self` peers sit behind a `std::sync::Mutex`, the least a server
//!   must add to share them. The `weighted_rs_unshared` row times the bare
//!   algorithm for comparison, one thread only.
//! - **Same end of a request.** Our `pick` returns a `Lease` that releases
//!   itself when dropped; every row for ours drops the lease at once, so the
//!   request cycle is complete on our side and the peers' rows do strictly
//!   less. The contract's `Lease` methods are `#[inline]`: inlined with the
//!   pick, the release is no longer a dynamic call, and for the two
//!   round-robins (whose release is the contract's empty default) it
//!   disappears. Before that, round-robin took 14 ns a pick, 5 ns after.
//! - **Same use of the answer.** Every row hands the chosen backend to
//!   `black_box` as a `u32`.
//! - **Same keys.** Each group cycles through the same 1,024 keys (byte strings
//!   like `user:12345678901` for the ring, random `u64`s for jump hash) in the
//!   same order, so every side sees the same branch and cache behaviour.
//! - **Contention.** Two threads (the machine has two cores), timed with
//!   `iter_custom` from a barrier to the last thread's end; the figure is wall
//!   time per operation *per thread*.
//! - **Overflow.** `jump-consistent-hash` adds 1 with `+`, not `wrapping_add`;
//!   benches build with overflow checks off (the release profile), as a
//!   server would, so it wraps like the paper.

use std::hash::{BuildHasher, Hash, Hasher};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use contracts::load_balancer::{Backend, BackendId, Lease, NoBackend, Picker, Ring};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use load_balancer_solution::{HashRing, LeastConnections, PowerOfTwo, RoundRobin, SmoothWeighted, jump_hash};
use weighted_rs::{RoundrobinWeight, SmoothWeight, Weight};

/// Backends behind every picker.
const BACKENDS: u32 = 10;
/// Keys cycled through by the ring and jump-hash groups (a power of two).
const KEYS: usize = 1_024;
/// Virtual nodes (points) per ring node.
const VNODES: u32 = 100;
/// Two threads: the machine has two cores.
const THREADS: usize = 2;

// ---------------------------------------------------------------- helpers

/// SplitMix64, for reproducible keys without another dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The backend a pick chose, as the `u32` every row hands to `black_box`.
/// Ours: the lease is dropped here, so the request cycle is complete.
#[inline(always)]
fn chosen(pick: Result<Lease<'_>, NoBackend>) -> u32 {
    pick.map_or(u32::MAX, |lease| lease.id().0)
}

/// Runs `op(thread, i)` for `i` in `0..iters` on each of two threads started
/// together; returns the wall time from the common start to the last finish.
fn two_threads(iters: u64, op: impl Fn(usize, u64) + Sync) -> Duration {
    let barrier = Barrier::new(THREADS);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (op, barrier) = (&op, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        op(t, i);
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("bench thread panicked")).collect()
    });
    let start = spans.iter().map(|s| s.0).min().expect("two spans");
    let end = spans.iter().map(|s| s.1).max().expect("two spans");
    end - start
}

/// Untimed: `picks` picks per thread from two threads at once; returns how
/// many each backend got.
fn tally(picks: usize, pick: impl Fn() -> u32 + Sync) -> Vec<usize> {
    let per_thread: Vec<Vec<u32>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS).map(|_| s.spawn(|| (0..picks).map(|_| pick()).collect())).collect();
        handles.into_iter().map(|h| h.join().expect("tally thread panicked")).collect()
    });
    let mut count = vec![0; BACKENDS as usize];
    for id in per_thread.into_iter().flatten() {
        count[id as usize] += 1;
    }
    count
}

// ---------------------------------------------------------------- round-robin

/// The simplest shareable round-robin: a turn under a `Mutex`.
struct MutexRoundRobin {
    ids: Vec<u32>,
    next: Mutex<usize>,
}

impl MutexRoundRobin {
    fn pick(&self) -> u32 {
        let mut next = lock(&self.next);
        let i = *next;
        *next = if i + 1 == self.ids.len() { 0 } else { i + 1 };
        self.ids[i]
    }
}

/// The cheapest possible shareable round-robin: one `fetch_add`, no health,
/// no list changes (so no lock to read the list under). A floor, not a peer.
struct AtomicRoundRobin {
    ids: Vec<u32>,
    next: AtomicUsize,
}

impl AtomicRoundRobin {
    fn pick(&self) -> u32 {
        self.ids[self.next.fetch_add(1, Relaxed) % self.ids.len()]
    }
}

struct RoundRobinSides {
    ours: RoundRobin,
    weighted_rs: Mutex<RoundrobinWeight<u32>>,
    mutex: MutexRoundRobin,
    atomic: AtomicRoundRobin,
}

impl RoundRobinSides {
    fn new() -> Self {
        let backends: Vec<Backend> = (0..BACKENDS).map(Backend::new).collect();
        let mut weighted_rs = RoundrobinWeight::new();
        for b in &backends {
            weighted_rs.add(b.id.0, 1);
        }
        let ids: Vec<u32> = backends.iter().map(|b| b.id.0).collect();
        RoundRobinSides {
            ours: RoundRobin::new(black_box(&backends), 0),
            weighted_rs: Mutex::new(weighted_rs),
            mutex: MutexRoundRobin { ids: ids.clone(), next: Mutex::new(0) },
            atomic: AtomicRoundRobin { ids, next: AtomicUsize::new(0) },
        }
    }

    fn ours(&self) -> u32 {
        chosen(self.ours.pick())
    }

    fn weighted_rs(&self) -> u32 {
        lock(&self.weighted_rs).next().unwrap_or(u32::MAX)
    }
}

fn round_robin(c: &mut Criterion) {
    // Lockstep, untimed: the same sequence from every side, 0, 1, ..., 9, 0, ...
    let sides = RoundRobinSides::new();
    let mut unshared = RoundrobinWeight::new();
    for id in 0..BACKENDS {
        unshared.add(id, 1);
    }
    for i in 0..3 * BACKENDS {
        let o = sides.ours();
        assert_eq!(o, i % BACKENDS, "pick {i}");
        assert_eq!(sides.weighted_rs(), o, "pick {i}");
        assert_eq!(sides.mutex.pick(), o, "pick {i}");
        assert_eq!(sides.atomic.pick(), o, "pick {i}");
        assert_eq!(unshared.next(), Some(o), "pick {i}");
    }
    // Two threads, untimed: 2 × 10,000 picks give each backend exactly 2,000.
    let fair = vec![2_000; BACKENDS as usize];
    let sides = RoundRobinSides::new();
    assert_eq!(tally(10_000, || sides.ours()), fair);
    assert_eq!(tally(10_000, || sides.weighted_rs()), fair);
    assert_eq!(tally(10_000, || sides.mutex.pick()), fair);
    assert_eq!(tally(10_000, || sides.atomic.pick()), fair);

    let mut g = c.benchmark_group("round_robin_1_thread");
    g.bench_function("ours", |b| b.iter(|| black_box(sides.ours())));
    g.bench_function("weighted_rs_mutex", |b| b.iter(|| black_box(sides.weighted_rs())));
    g.bench_function("weighted_rs_unshared", |b| b.iter(|| black_box(unshared.next().unwrap_or(u32::MAX))));
    g.bench_function("baseline_mutex_usize", |b| b.iter(|| black_box(sides.mutex.pick())));
    g.bench_function("floor_atomic_usize", |b| b.iter(|| black_box(sides.atomic.pick())));
    g.finish();

    let mut g = c.benchmark_group("round_robin_2_threads");
    g.bench_function("ours", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(sides.ours());
            })
        })
    });
    g.bench_function("weighted_rs_mutex", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(sides.weighted_rs());
            })
        })
    });
    g.bench_function("baseline_mutex_usize", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(sides.mutex.pick());
            })
        })
    });
    g.bench_function("floor_atomic_usize", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(sides.atomic.pick());
            })
        })
    });
    g.finish();
}

// ---------------------------------------------------------------- smooth weighted round-robin

fn smooth_weighted(c: &mut Criterion) {
    // Weights 1..=10: W = 55 picks per cycle.
    let backends: Vec<Backend> = (0..BACKENDS).map(|i| Backend::weighted(i, i + 1)).collect();
    let total: u32 = backends.iter().map(|b| b.weight).sum();
    let make = || {
        let ours = SmoothWeighted::new(black_box(&backends), 0);
        let mut peer = SmoothWeight::new();
        for b in &backends {
            peer.add(b.id.0, b.weight as isize);
        }
        (ours, peer)
    };

    // Lockstep, untimed: nginx's algorithm on both sides, the same sequence.
    let (ours, mut peer) = make();
    for i in 0..3 * total {
        assert_eq!(Some(chosen(ours.pick())), peer.next(), "pick {i}");
    }
    // Two threads, untimed: 2 × 1,100 picks = 40 cycles of W, so each backend
    // gets exactly 40 × its weight.
    let (ours, peer) = make();
    let peer = Mutex::new(peer);
    let fair: Vec<usize> = backends.iter().map(|b| 40 * b.weight as usize).collect();
    assert_eq!(tally(20 * total as usize, || chosen(ours.pick())), fair);
    assert_eq!(tally(20 * total as usize, || lock(&peer).next().unwrap_or(u32::MAX)), fair);

    let (ours, mut unshared) = make();
    let peer_pick = || lock(&peer).next().unwrap_or(u32::MAX);
    let mut g = c.benchmark_group("smooth_weighted_1_thread");
    g.bench_function("ours", |b| b.iter(|| black_box(chosen(ours.pick()))));
    g.bench_function("weighted_rs_mutex", |b| b.iter(|| black_box(peer_pick())));
    g.bench_function("weighted_rs_unshared", |b| b.iter(|| black_box(unshared.next().unwrap_or(u32::MAX))));
    g.finish();

    let mut g = c.benchmark_group("smooth_weighted_2_threads");
    g.bench_function("ours", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(chosen(ours.pick()));
            })
        })
    });
    g.bench_function("weighted_rs_mutex", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(peer_pick());
            })
        })
    });
    g.finish();
}

// ---------------------------------------------------------------- least-connections, power of two

/// A plain least-connections, the way the lesson's control crate writes it:
/// counts in a `Vec` under a `Mutex`, scan from one past the last pick. It
/// does less than ours: no health, no list changes, no lookup of a lease's
/// backend by id (its release takes the index).
struct MutexLeastConnections {
    ids: Vec<u32>,
    state: Mutex<(Vec<usize>, usize)>,
}

impl MutexLeastConnections {
    fn new(backends: &[Backend]) -> Self {
        MutexLeastConnections {
            ids: backends.iter().map(|b| b.id.0).collect(),
            state: Mutex::new((vec![0; backends.len()], 0)),
        }
    }

    fn pick(&self) -> usize {
        let mut guard = lock(&self.state);
        let (counts, cursor) = &mut *guard;
        let n = counts.len();
        let mut best = *cursor % n;
        for j in 1..n {
            let i = (*cursor + j) % n;
            if counts[i] < counts[best] {
                best = i;
            }
        }
        counts[best] += 1;
        *cursor = best + 1;
        best
    }

    fn release(&self, i: usize) {
        let mut guard = lock(&self.state);
        guard.0[i] = guard.0[i].saturating_sub(1);
    }

    /// Pick and end the request at once, as every row here does.
    fn pick_release(&self) -> u32 {
        let i = self.pick();
        self.release(i);
        self.ids[i]
    }
}

fn least_loaded(c: &mut Criterion) {
    let backends: Vec<Backend> = (0..BACKENDS).map(Backend::new).collect();
    let ours = LeastConnections::new(black_box(&backends), 0);
    let baseline = MutexLeastConnections::new(&backends);
    let p2c = PowerOfTwo::new(black_box(&backends), 7);

    // Lockstep, untimed: sequential traffic (each request over before the
    // next) visits every backend in turn on both sides.
    for i in 0..3 * BACKENDS {
        let o = chosen(ours.pick());
        assert_eq!(o, i % BACKENDS, "pick {i}");
        assert_eq!(baseline.pick_release(), o, "pick {i}");
    }
    // Power of two choices: a valid backend every time, and every count back
    // to zero after the leases are dropped.
    assert!((0..1_000).all(|_| chosen(p2c.pick()) < BACKENDS));
    assert!(backends.iter().all(|b| p2c.in_flight(b.id) == 0 && ours.in_flight(b.id) == 0));

    let mut g = c.benchmark_group("least_loaded_pick_release_1_thread");
    g.bench_function("ours_least_connections", |b| b.iter(|| black_box(chosen(ours.pick()))));
    g.bench_function("baseline_mutex_least_connections", |b| b.iter(|| black_box(baseline.pick_release())));
    g.bench_function("ours_power_of_two", |b| b.iter(|| black_box(chosen(p2c.pick()))));
    g.finish();

    // Two threads, each request over before its thread's next one. Untimed
    // first: every backend gets picks, and every count is back to zero.
    let per_backend = tally(10_000, || chosen(ours.pick()));
    assert!(per_backend.iter().all(|&n| n > 0), "ours, two threads: {per_backend:?}");
    let per_backend = tally(10_000, || baseline.pick_release());
    assert!(per_backend.iter().all(|&n| n > 0), "baseline, two threads: {per_backend:?}");
    assert!(backends.iter().all(|b| ours.in_flight(b.id) == 0));
    assert!(lock(&baseline.state).0.iter().all(|&n| n == 0));
    let mut g = c.benchmark_group("least_loaded_pick_release_2_threads");
    g.bench_function("ours_least_connections", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(chosen(ours.pick()));
            })
        })
    });
    g.bench_function("baseline_mutex_least_connections", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(baseline.pick_release());
            })
        })
    });
    g.bench_function("ours_power_of_two", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(chosen(p2c.pick()));
            })
        })
    });
    g.finish();

    // A busy server: every backend has one request in flight, held for the
    // whole group, so a least-connections pick finds no idle backend to stop
    // at and scans the whole list. Untimed: both sides still rotate.
    let ours = LeastConnections::new(black_box(&backends), 0);
    let baseline = MutexLeastConnections::new(&backends);
    let held: Vec<Lease<'_>> = (0..BACKENDS).filter_map(|_| ours.pick().ok()).collect();
    for _ in 0..BACKENDS {
        baseline.pick();
    }
    assert!(backends.iter().all(|b| ours.in_flight(b.id) == 1));
    for i in 0..3 * BACKENDS {
        assert_eq!(baseline.pick_release(), chosen(ours.pick()), "busy pick {i}");
    }
    let mut g = c.benchmark_group("least_loaded_pick_release_1_thread_busy");
    g.bench_function("ours_least_connections", |b| b.iter(|| black_box(chosen(ours.pick()))));
    g.bench_function("baseline_mutex_least_connections", |b| b.iter(|| black_box(baseline.pick_release())));
    g.finish();

    // Two threads, busy as above: every pick scans the whole list while the
    // other thread's picks and releases change the counts under it. Untimed
    // first: every backend gets picks, and every count is back to one (the
    // held request) once both threads are done.
    let per_backend = tally(10_000, || chosen(ours.pick()));
    assert!(per_backend.iter().all(|&n| n > 0), "ours, two threads: {per_backend:?}");
    assert!(backends.iter().all(|b| ours.in_flight(b.id) == 1));
    let per_backend = tally(10_000, || baseline.pick_release());
    assert!(per_backend.iter().all(|&n| n > 0), "baseline, two threads: {per_backend:?}");
    assert!(lock(&baseline.state).0.iter().all(|&n| n == 1));
    let mut g = c.benchmark_group("least_loaded_pick_release_2_threads_busy");
    g.bench_function("ours_least_connections", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(chosen(ours.pick()));
            })
        })
    });
    g.bench_function("baseline_mutex_least_connections", |b| {
        b.iter_custom(|n| {
            two_threads(n, |_, _| {
                black_box(baseline.pick_release());
            })
        })
    });
    g.finish();
    drop(held);
}

// ---------------------------------------------------------------- consistent-hash ring

/// A copy of the reference's private ring positions (`mix64`, `point`,
/// `key_position` in `src/lib.rs`), so that `hashring` can be given exactly
/// the same ring. If those change there, change them here: the lockstep check
/// below fails until they agree.
mod our_positions {
    pub fn mix64(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `point(node, replica)` of the reference, from `(node << 32) | replica`.
    pub fn point(node_replica: u64) -> u64 {
        mix64(node_replica ^ 0x5851_F42D_4C95_7F2D)
    }

    pub fn key_position(key: &[u8]) -> u64 {
        let mut h = mix64(key.len() as u64 ^ 0x2545_F491_4F6C_DD1D);
        let mut words = key.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            h = mix64(h ^ u64::from_le_bytes(b));
        }
        let mut tail = [0u8; 8];
        tail[..words.remainder().len()].copy_from_slice(words.remainder());
        mix64(h ^ u64::from_le_bytes(tail).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

/// A `BuildHasher` for `hashring` that yields the reference's positions: a
/// point hashes as one `u64` (`write_u64`), a key as its bytes (`write`).
#[derive(Clone, Copy, Default)]
struct OurPositions;

#[derive(Default)]
struct OurPositionHasher(u64);

impl Hasher for OurPositionHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = our_positions::key_position(bytes);
    }
    fn write_u64(&mut self, node_replica: u64) {
        self.0 = our_positions::point(node_replica);
    }
}

impl BuildHasher for OurPositions {
    type Hasher = OurPositionHasher;
    fn build_hasher(&self) -> OurPositionHasher {
        OurPositionHasher::default()
    }
}

/// One point of `hashring` under `OurPositions`: hashes as one `u64`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    node: u32,
    replica: u32,
}

impl Hash for Point {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64((u64::from(self.node) << 32) | u64::from(self.replica));
    }
}

/// A key for `hashring` under `OurPositions`: hashes as its bytes alone (the
/// derived `Hash` of `[u8]` would write the length first, in a second call).
struct Key<'a>(&'a [u8]);

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.0);
    }
}

type PeerRing = hashring::HashRing<Point, OurPositions>;
/// `hashring` out of the box: derived `Hash`, SipHash-2-4.
type SipRing = hashring::HashRing<(u32, u32)>;

fn ours_ring(nodes: u32) -> HashRing {
    let mut ring = HashRing::new(black_box(VNODES));
    for n in 0..nodes {
        ring.add(BackendId(n));
    }
    ring
}

/// `hashring` has no virtual nodes: a node's points go in as one batch (one
/// sort), its most favourable way in.
fn peer_add(ring: &mut PeerRing, node: u32) {
    ring.batch_add((0..VNODES).map(|replica| Point { node, replica }).collect());
}

fn peer_remove(ring: &mut PeerRing, node: u32) {
    for replica in 0..VNODES {
        ring.remove(&Point { node, replica });
    }
}

fn sip_add(ring: &mut SipRing, node: u32) {
    ring.batch_add((0..VNODES).map(|replica| (node, replica)).collect());
}

fn sip_remove(ring: &mut SipRing, node: u32) {
    for replica in 0..VNODES {
        ring.remove(&(node, replica));
    }
}

fn peer_ring(nodes: u32) -> PeerRing {
    let mut ring = PeerRing::with_hasher(OurPositions);
    (0..nodes).for_each(|n| peer_add(&mut ring, n));
    ring
}

fn sip_ring(nodes: u32) -> SipRing {
    let mut ring = SipRing::new();
    (0..nodes).for_each(|n| sip_add(&mut ring, n));
    ring
}

fn ring_keys(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = SplitMix(seed);
    (0..n).map(|_| format!("user:{}", rng.next() % 100_000_000_000).into_bytes()).collect()
}

fn ring_lookup(c: &mut Criterion) {
    let keys = ring_keys(1, KEYS);
    for nodes in [10, 100] {
        let ours = ours_ring(nodes);
        let peer = peer_ring(nodes);
        let sip = sip_ring(nodes);
        assert_eq!(peer.len(), (nodes * VNODES) as usize);
        assert_eq!(sip.len(), (nodes * VNODES) as usize);

        // Lockstep, untimed: the timed keys and 100,000 more get the same owner
        // from ours and from `hashring` under our positions.
        let mut seen = vec![false; nodes as usize];
        for key in keys.iter().chain(&ring_keys(2, 100_000)) {
            let o = ours.node_for(key).map(|id| id.0);
            assert_eq!(o, peer.get(&Key(key)).map(|p| p.node), "key {:?}", String::from_utf8_lossy(key));
            if let Some(n) = sip.get(&key.as_slice()) {
                seen[n.0 as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s), "every node owns keys under SipHash too");

        let mut g = c.benchmark_group(format!("ring_lookup_{nodes}_nodes_x_{VNODES}"));
        let mut i = 0;
        g.bench_function("ours", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(ours.node_for(&keys[i]).map_or(u32::MAX, |id| id.0))
            })
        });
        g.bench_function("hashring_our_hash", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(peer.get(&Key(&keys[i])).map_or(u32::MAX, |p| p.node))
            })
        });
        g.bench_function("hashring_siphash", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(sip.get(&keys[i].as_slice()).map_or(u32::MAX, |p| p.0))
            })
        });
        g.finish();
    }
}

fn ring_membership(c: &mut Criterion) {
    // Ten nodes of 100 points; the eleventh joins, or leaves again.
    let (ours10, peer10, sip10) = (ours_ring(10), peer_ring(10), sip_ring(10));
    let (ours11, peer11, sip11) = (ours_ring(11), peer_ring(11), sip_ring(11));
    {
        // Untimed: add and remove give the same rings as building from scratch.
        let keys = ring_keys(3, 10_000);
        let mut ours = ours10.clone();
        let mut peer = peer10.clone();
        ours.add(BackendId(10));
        peer_add(&mut peer, 10);
        for key in &keys {
            assert_eq!(ours.node_for(key), ours11.node_for(key));
            assert_eq!(ours.node_for(key).map(|id| id.0), peer.get(&Key(key)).map(|p| p.node));
        }
        ours.remove(BackendId(10));
        peer_remove(&mut peer, 10);
        let mut sip = sip11.clone();
        sip_remove(&mut sip, 10);
        assert_eq!((peer.len(), sip.len()), (1_000, 1_000));
        for key in &keys {
            assert_eq!(ours.node_for(key), ours10.node_for(key));
            assert_eq!(ours.node_for(key).map(|id| id.0), peer.get(&Key(key)).map(|p| p.node));
        }
    }

    // `iter_batched` clones the ring outside the timing and drops it outside
    // too: each row times one add (or one remove) of a node's 100 points.
    let mut g = c.benchmark_group("ring_add_node_10_to_11_x_100");
    g.bench_function("ours", |b| {
        b.iter_batched(
            || ours10.clone(),
            |mut r| {
                r.add(BackendId(black_box(10)));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hashring_our_hash", |b| {
        b.iter_batched(
            || peer10.clone(),
            |mut r| {
                peer_add(&mut r, black_box(10));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hashring_siphash", |b| {
        b.iter_batched(
            || sip10.clone(),
            |mut r| {
                sip_add(&mut r, black_box(10));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("ring_remove_node_11_to_10_x_100");
    g.bench_function("ours", |b| {
        b.iter_batched(
            || ours11.clone(),
            |mut r| {
                r.remove(BackendId(black_box(10)));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hashring_our_hash", |b| {
        b.iter_batched(
            || peer11.clone(),
            |mut r| {
                peer_remove(&mut r, black_box(10));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hashring_siphash", |b| {
        b.iter_batched(
            || sip11.clone(),
            |mut r| {
                sip_remove(&mut r, black_box(10));
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------- jump consistent hash

/// Hands `jumphash` the raw key: `u64::hash` is one `write_u64`.
#[derive(Clone, Copy, Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed here")
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

fn jump(c: &mut Criterion) {
    let mut rng = SplitMix(4);
    let keys: Vec<u64> = (0..KEYS).map(|_| rng.next()).collect();
    let raw = jumphash::CustomJumpHasher::new(Identity::default());
    let sip = jumphash::JumpHasher::new_with_keys(0, 0);

    // Lockstep, untimed: 1,000 random keys, same bucket from the three raw
    // sides at every bucket count; the SipHash side differs for most keys.
    for buckets in [1, 2, 3, 10, 100, 1_000, 65_536, 1 << 20, u32::MAX] {
        let mut differ = 0;
        for &key in &keys[..1_000] {
            let o = jump_hash(key, buckets);
            assert_eq!(o, jump_consistent_hash::hash(key, buckets as usize), "key {key}, {buckets} buckets");
            assert_eq!(o, raw.slot(&key, buckets), "key {key}, {buckets} buckets");
            differ += usize::from(sip.slot(&key, buckets) != o);
        }
        if buckets >= 10 {
            assert!(differ > 800, "SipHash first: {differ} of 1,000 differ at {buckets} buckets");
        }
    }

    for buckets in [10u32, 1_000] {
        let mut g = c.benchmark_group(format!("jump_hash_{buckets}_buckets"));
        let mut i = 0;
        g.bench_function("ours", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(jump_hash(keys[i], black_box(buckets)))
            })
        });
        g.bench_function("jump_consistent_hash", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(jump_consistent_hash::hash(keys[i], black_box(buckets) as usize))
            })
        });
        g.bench_function("jumphash_raw_key", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(raw.slot(&keys[i], black_box(buckets)))
            })
        });
        g.bench_function("jumphash_siphash13_different_answers", |b| {
            b.iter(|| {
                i = (i + 1) & (KEYS - 1);
                black_box(sip.slot(&keys[i], black_box(buckets)))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, round_robin, smooth_weighted, least_loaded, ring_lookup, ring_membership, jump);
criterion_main!(benches);
