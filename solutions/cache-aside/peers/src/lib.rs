//! Nothing to link: this crate exists for its benchmarks.
//!
//! - `benches/vs_peers.rs` times the reference's caches against the `lru`
//!   and `quick_cache` crates, and its front against `moka`'s read-through
//!   `get_with` (criterion; answers checked equal before anything is timed).
//! - `benches/hit_ratio.rs` prints the hit ratios of the reference's LRU, LFU
//!   and S3-FIFO, of `quick_cache` and `moka`, and of Bélády's optimum, on the
//!   traces of the `admission` stage.
//!
//! It is a workspace of its own, outside the course's: the learner's
//! `cargo grade` and the project's `cargo test --workspace` never compile
//! criterion or the peers. `.ci/run` builds it; run it with
//! `cargo bench --manifest-path solutions/cache-aside/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`.
