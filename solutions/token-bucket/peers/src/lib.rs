//! Nothing to link: this crate exists for its benchmark, `benches/vs_governor.rs`,
//! which times the reference token bucket against the `governor` crate.
//!
//! It is a workspace of its own, outside the course's: the learner's
//! `cargo grade` and the project's `cargo test --workspace` never compile
//! criterion or governor. `.ci/run` builds it; run it with
//! `cargo bench --manifest-path solutions/token-bucket/peers/Cargo.toml -- --warm-up-time 1 --measurement-time 3`.
