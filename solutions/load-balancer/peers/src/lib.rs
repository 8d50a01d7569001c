//! Nothing to link: this crate exists for its benchmark, `benches/vs_peers.rs`,
//! which times the reference load balancer against light peer crates
//! (`hashring`, `jump-consistent-hash`, `jumphash`, `weighted-rs`).
//!
//! It is a workspace of its own, outside the course's: the learner's
//! `cargo grade` and the project's `cargo test --workspace` never compile
//! criterion or the peers. `.ci/run` builds it; run it with
//! `cargo bench --manifest-path solutions/load-balancer/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`.
