//! Every known-buggy implementation (grader/mutants/<exercise>/mutants.toml)
//! is rejected, by the stage that teaches its mistake, with every earlier
//! stage passing; every control passes every stage, benchmarks included.
//!
//! One data-driven check over the catalogue's exercises and their tables: a
//! new exercise is covered by its `mutants.toml` alone. (That the tables
//! agree with their crates, and that every stage has a mutant, is
//! `cargo grader dev check`, tested in `dev_check.rs`.)

mod common;

use std::sync::Mutex;

use grader::dev::{self, Mutant};
use grader::report::Status;

/// Grades one mutant; `Err` says how it escaped its stage.
fn check(catalog: &catalog::Catalog, slug: &str, m: &Mutant) -> Result<(), String> {
    let ex = catalog.lesson(slug).and_then(|l| l.exercise.as_ref()).ok_or(format!("{slug}: no exercise"))?;
    let dir = catalog.root.join(dev::MUTANTS_DIR).join(slug).join(&m.krate);
    let report = common::grade(catalog, slug, &dir, &m.features, None, None);
    let label = format!("{slug}: {}", m.label());
    if m.is_control() {
        return if report.passed {
            Ok(())
        } else {
            Err(format!("{label}: the control should pass every stage:\n{}", common::summary(&report)))
        };
    }
    let want = m.expected_status().ok_or(format!("{label}: unknown status `{}`", m.status))?;
    let at =
        ex.stages.iter().position(|s| s.id == m.caught_by).ok_or(format!("{label}: no stage `{}`", m.caught_by))?;
    let caught = !report.passed
        && report.stages[..at].iter().all(|s| s.status == Status::Passed)
        && report.stages[at].status == want
        && !report.stages[at].message.is_empty();
    if caught {
        Ok(())
    } else {
        Err(format!(
            "{label}: expected {want:?} at `{}` after passing stages:\n{}",
            m.caught_by,
            common::summary(&report)
        ))
    }
}

#[test]
fn every_mutant_is_caught_by_its_stage_and_every_control_passes() {
    let catalog = common::catalog();
    let mut work: Vec<(String, Mutant)> = vec![];
    for (lesson, _) in catalog.exercises() {
        let mutants = dev::mutants(&catalog.root, &lesson.slug).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(mutants.len() >= 6, "{}: at least six mutants expected, found {}", lesson.slug, mutants.len());
        work.extend(mutants.into_iter().map(|m| (lesson.slug.clone(), m)));
    }
    // Whatever runs a benchmark stage to its verdict (the controls, which
    // must pass every stage, and the mutants the benchmarks catch) is graded
    // alone, after the rest: a speed ratio measured while another grading
    // shares the two cores says more about the neighbour than the code.
    let (serial, parallel): (Vec<_>, Vec<_>) =
        work.into_iter().partition(|(_, m)| m.caught_by.is_empty() || m.caught_by == "benchmarks");
    // The rest: as many graders at once as the machine has cores, each taking
    // the next mutant; runners build one at a time behind cargo's lock anyway.
    let queue = Mutex::new(parallel.into_iter());
    let problems = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((slug, mutant)) = next else { break };
                    if let Err(problem) = check(&catalog, &slug, &mutant) {
                        problems.lock().unwrap_or_else(|p| p.into_inner()).push(problem);
                    }
                }
            });
        }
    });
    let mut problems = problems.into_inner().unwrap_or_else(|p| p.into_inner());
    for (slug, mutant) in &serial {
        if let Err(problem) = check(&catalog, slug, mutant) {
            problems.push(problem);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
