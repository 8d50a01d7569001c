//! The hidden suites of the course.
//!
//! One module per exercise, each a [`harness::Suite`] of stages that drive an
//! implementation through its contract (`contracts`) and never through its
//! internals. The grader links a suite with one implementation (the learner's,
//! the reference, a mutant, a hostile fixture: the same path for all) into a
//! small *runner* binary whose `main` is [`runner!`], then runs one stage per
//! child process.

pub mod bench;
pub mod harness;
pub mod load_balancer;
pub mod load_balancer_baseline;
pub mod load_balancer_simulation;

include!(concat!(env!("OUT_DIR"), "/suites.rs"));

/// The `main` of a runner: `suites::runner!(token_bucket, subject, reference);`
/// where `subject` and `reference` are the crates to grade and to compare
/// against. This is where each exercise's required type names are fixed.
#[macro_export]
macro_rules! runner {
    (load_balancer, $subject:ident, $reference:ident) => {
        fn main() {
            use $crate::load_balancer::{Subject, suite};
            $crate::harness::main(suite(
                Subject::of::<
                    $subject::RoundRobin,
                    $subject::SmoothWeighted,
                    $subject::LeastConnections,
                    $subject::PowerOfTwo,
                    $subject::HashRing,
                >($subject::jump_hash),
                Subject::of::<
                    $reference::RoundRobin,
                    $reference::SmoothWeighted,
                    $reference::LeastConnections,
                    $reference::PowerOfTwo,
                    $reference::HashRing,
                >($reference::jump_hash),
            ))
        }
    };
    (token_bucket, $subject:ident, $reference:ident) => {
        fn main() {
            use $crate::token_bucket::{Subject, suite};
            $crate::harness::main(suite(
                Subject::of::<$subject::TokenBucket, $subject::Limiter>(),
                Subject::of::<$reference::TokenBucket, $reference::Limiter>(),
            ))
        }
    };
}
