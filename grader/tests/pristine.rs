//! The pristine stubs (what `reset` restores, and what a fresh clone has in
//! exercises/) grade as "not implemented yet" at every stage, cleanly: no
//! crash, no failure, no compiler error.

mod common;

use grader::report::Status;

#[test]
fn pristine_stubs_are_not_implemented_at_every_stage() {
    let catalog = common::catalog();
    for (lesson, ex) in catalog.exercises() {
        let report = common::grade(&catalog, &lesson.slug, &ex.pristine_dir, &[], None, None);
        assert!(!report.passed);
        for stage in &report.stages {
            assert_eq!(
                stage.status,
                Status::NotImplemented,
                "{} / {}:\n{}",
                lesson.slug,
                stage.id,
                common::summary(&report)
            );
            assert!(stage.message.contains("todo!("), "{}", stage.message);
        }
    }
}
