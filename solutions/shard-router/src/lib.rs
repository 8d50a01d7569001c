//! Reference solution of the `shard-router` exercise: the code we would want a
//! learner to read.
//!
//! Four types and a function, one per piece of the contract, each in its own
//! module with a comment that explains its design:
//!
//! | export | trait | idea | cost per call |
//! | --- | --- | --- | --- |
//! | [`Jump`] | `HashRouter` | a fixed key hash (FNV-1a + a finalizer), then jump consistent hash | O(key length + log n) |
//! | [`Ranges`] | `RangeRouter` | a sorted `Vec` of lower bounds, binary search | lookup O(log r), split/merge O(r) |
//! | [`Hotspots`] | `HotShards` | exponentially decayed per-shard counts + a sampled ring of recent keys | `record` O(1) amortised |
//! | [`Replicas`] | `ReadRouter` | one atomic per replica (`fetch_max`), a round-robin counter | `read` O(replicas) ≤ 64, no lock |
//! | [`merge_top_k`] | `MergeTopK` | binary search to the cursor in each shard, then a k-way heap merge | O(s log m + k log s) |
//!
//! # Three ideas worth taking away
//!
//! 1. **Routing is a pure function, so make it one.** A key's shard may
//!    depend on the key and the shard count, nothing else: no per-process
//!    random seed, no hasher whose algorithm a Rust release may change. Then
//!    every router, in every process, agrees, and a resharding plan is just
//!    the same function evaluated at `n` and at `n + 1` (`hash.rs`).
//! 2. **Count shards exactly, sample keys.** There are few shards (4,096 at
//!    most) and many keys (unbounded): per-shard counters cost nothing, and a
//!    bounded random sample of recent keys is enough to find a median to
//!    split at (`hot.rs`).
//! 3. **A position is a promise you can compare.** Replication lag is made
//!    safe not by waiting but by carrying a number: the session's position,
//!    compared with each replica's applied position, decides where a read
//!    may go (`replicas.rs`).

mod hash;
mod hot;
mod merge;
mod ranges;
mod replicas;

pub use hash::{Jump, jump, key_hash};
pub use hot::Hotspots;
pub use merge::merge_top_k;
pub use ranges::Ranges;
pub use replicas::Replicas;
