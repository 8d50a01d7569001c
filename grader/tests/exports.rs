//! A crate that lacks an export the suite requires, or has it under another
//! name or shape, is told which one in the suite's own words ("your crate
//! must export `pub struct X` implementing `Y`"), not with rustc's error
//! about the runner the grader generated (grader/fixtures/exports/).

mod common;

fn build_message(slug: &str, fixture: &str, features: &[&str]) -> String {
    let catalog = common::catalog();
    let dir = catalog.root.join("grader/fixtures/exports").join(fixture);
    let features: Vec<String> = features.iter().map(|f| f.to_string()).collect();
    let report = common::grade(&catalog, slug, &dir, &features, None, None);
    assert!(!report.build.compiled(), "{fixture}{features:?} should not build:\n{}", common::summary(&report));
    report.build.message().to_string()
}

#[test]
fn a_missing_or_misshapen_export_is_named() {
    for (slug, fixture, features, said) in [
        (
            "token-bucket",
            "token-bucket",
            &["misnamed"][..],
            "your crate must export `pub struct Limiter` implementing `contracts::token_bucket::KeyedLimiter`: it has no `Limiter` at its root",
        ),
        (
            "token-bucket",
            "token-bucket",
            &["without-trait"][..],
            "your crate must export `pub struct TokenBucket` implementing `contracts::token_bucket::Bucket`: its `TokenBucket` does not implement `Bucket`",
        ),
        (
            "load-balancer",
            "load-balancer",
            &[][..],
            "your crate must export `pub fn jump_hash(key: u64, buckets: u32) -> u32`: its `jump_hash` has another signature",
        ),
    ] {
        let message = build_message(slug, fixture, features);
        assert!(message.contains(said), "{fixture}{features:?}: {said:?} not in:\n{message}");
        for raw in ["crate `subject`", "subject::", "main.rs"] {
            assert!(!message.contains(raw), "{fixture}{features:?}: rustc's raw error ({raw:?}) in:\n{message}");
        }
    }
}
