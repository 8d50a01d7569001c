//! Every exercise's reference solution passes every stage of its suite, and
//! the suite's stages are exactly the catalogue's.

mod common;

use grader::report::Status;
use grader::runner::{BuildSpec, build};

#[test]
fn every_reference_passes_every_stage() {
    let catalog = common::catalog();
    for (lesson, ex) in catalog.exercises() {
        let report = common::grade(&catalog, &lesson.slug, &ex.solution_dir, &[], None, None);
        assert!(report.passed, "the reference of {} fails:\n{}", lesson.slug, common::summary(&report));
        assert!(report.stages.iter().all(|s| s.status == Status::Passed));
        assert!(!report.benchmarks.is_empty(), "{} reports no benchmark", lesson.slug);
    }
}

#[test]
fn suites_and_catalogue_name_the_same_stages() {
    let catalog = common::catalog();
    for (lesson, ex) in catalog.exercises() {
        let spec = BuildSpec {
            root: &catalog.root,
            suite: &ex.suite,
            subject: &ex.solution_dir,
            reference: &ex.solution_dir,
            features: &[],
        };
        let runner = build(&spec).expect("the reference builds");
        let out = std::process::Command::new(&runner.binary).arg("list").output().expect("runner starts");
        let listing = grader::runner::Listing::parse(&String::from_utf8_lossy(&out.stdout));
        let catalogued: Vec<String> = ex.stages.iter().map(|s| s.id.clone()).collect();
        assert_eq!(
            listing.stages, catalogued,
            "suite `{}` and course.toml disagree on the stages of {}",
            ex.suite, lesson.slug
        );
        assert_eq!(
            listing.simulation, ex.simulation,
            "suite `{}` and course.toml disagree on whether {} has a simulation",
            ex.suite, lesson.slug
        );
    }
}
