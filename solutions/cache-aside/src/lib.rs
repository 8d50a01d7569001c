//! Reference solution of the `cache-aside` exercise: the code we would want a
//! learner to read.
//!
//! Four types, one per trait of the contract, each in its own module with a
//! module comment that explains its design:
//!
//! | type | trait | idea | cost per call |
//! | --- | --- | --- | --- |
//! | [`LruCache`] | `TtlLru` | hash map + linked list through a slab, + a min-heap of expiries | `get` O(1), `put` O(log n) |
//! | [`Lfu`] | `Policy` | one bucket per frequency, buckets in frequency order | O(1) |
//! | [`Admission`] | `Policy` | S3-FIFO: small probation FIFO, main FIFO with second chances, ghost keys | O(1) amortised |
//! | [`Front`] | `CacheAside` | shards of (found LRU, negative LRU, loads in flight); single flight; leases | O(1) + one load per miss |
//!
//! # Three ideas worth taking away
//!
//! 1. **Indices, not pointers.** A linked list is what makes "move to the
//!    front" and "drop the oldest" O(1), and in Rust the pleasant way to
//!    build one is a `Vec` of nodes linked by `u32` indices (`list.rs`). No
//!    `unsafe`, no `Rc<RefCell<…>>`, nodes packed together in memory.
//! 2. **The policy is the hit ratio.** On a Zipf trace the same memory hits
//!    more often under S3-FIFO than under LRU, and a scan that flushes an LRU
//!    leaves S3-FIFO's main queue untouched (see the hit-ratio figures in
//!    `peers/`).
//! 3. **The hard part of cache-aside is the races, not the cache.** A load
//!    shared by every thread that misses (single flight), and a lease that a
//!    write revokes so a slow, old read cannot put its value back after the
//!    write deleted it (`front.rs`).

mod admission;
mod front;
mod lfu;
mod list;
mod lru;
mod map;

pub use admission::Admission;
pub use front::Front;
pub use lfu::Lfu;
pub use lru::LruCache;
