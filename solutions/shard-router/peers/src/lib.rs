//! Nothing to link: this crate exists for its benchmark, `benches/vs_peers.rs`,
//! which times the reference shard router against light peer crates
//! (`fnv` + `jump-consistent-hash` for hash routing, `itertools::kmerge_by`
//! for scatter-gather).
//!
//! It is a workspace of its own, outside the course's: the learner's
//! `cargo grade` and the project's `cargo test --workspace` never compile
//! criterion or the peers. `.ci/run` builds it; run it with
//! `cargo bench --manifest-path solutions/shard-router/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`.
