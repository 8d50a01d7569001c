//! Every known-buggy implementation (grader/mutants/<exercise>/mutants.toml)
//! is rejected, by the stage that teaches its mistake, with every earlier
//! stage passing.

mod common;

use grader::report::Status;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mutants {
    mutant: Vec<Mutant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mutant {
    #[serde(rename = "crate")]
    krate: String,
    #[serde(default)]
    features: Vec<String>,
    mistake: String,
    caught_by: String,
    status: String,
}

fn check_exercise(slug: &str) {
    let catalog = common::catalog();
    let dir = catalog.root.join("grader/mutants").join(slug);
    let text = std::fs::read_to_string(dir.join("mutants.toml")).expect("mutants.toml");
    let mutants: Mutants = toml::from_str(&text).expect("mutants.toml parses");
    assert!(mutants.mutant.len() >= 6, "{slug}: at least six mutants expected");
    let ex = catalog.lesson(slug).and_then(|l| l.exercise.as_ref()).expect("exercise");
    let mut problems = vec![];
    for m in &mutants.mutant {
        let report = common::grade(&catalog, slug, &dir.join(&m.krate), &m.features, None, None);
        let label = format!("{}{:?} ({})", m.krate, m.features, m.mistake);
        if m.caught_by.is_empty() {
            if !report.passed {
                problems.push(format!("{label}: the control should pass every stage:\n{}", common::summary(&report)));
            }
            continue;
        }
        let want = common::status(&m.status);
        let Some(at) = ex.stages.iter().position(|s| s.id == m.caught_by) else {
            problems.push(format!("{label}: no stage `{}`", m.caught_by));
            continue;
        };
        let ok = !report.passed
            && report.stages[..at].iter().all(|s| s.status == Status::Passed)
            && report.stages[at].status == want
            && !report.stages[at].message.is_empty();
        if !ok {
            problems.push(format!(
                "{label}: expected {want:?} at `{}` after passing stages:\n{}",
                m.caught_by,
                common::summary(&report)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn token_bucket_mutants_are_caught_by_the_right_stage() {
    check_exercise("token-bucket");
}

#[test]
fn load_balancer_mutants_are_caught_by_the_right_stage() {
    check_exercise("load-balancer");
}
