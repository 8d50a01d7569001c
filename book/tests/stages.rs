//! Stage facts come from the catalogue: a lesson's stage table is numbered and
//! titled from `course.toml`, and a lesson that disagrees with it is refused.
//! Lessons live in part folders, and the index groups them by part.

mod common;

use common::fixture;

/// A catalogue with one lesson per part, the first with an exercise of two stages.
fn course_toml(first_title: &str) -> String {
    format!(
        "format_version = 1\ntitle = \"Parts\"\n\n\
         [[lesson]]\nslug = \"gate\"\ntitle = \"The gate\"\nfile = \"lessons/1-front-door/gate.md\"\n\n\
         [lesson.exercise]\ncrate = \"ex/gate\"\nsolution = \"sol/gate\"\npristine = \"pri/gate\"\nsuite = \"gate\"\n\n\
         [[lesson.exercise.stage]]\nid = \"opens\"\ntitle = \"{first_title}\"\nhints = [\"h\"]\n\n\
         [[lesson.exercise.stage]]\nid = \"closes\"\ntitle = \"it closes | again\"\nhints = [\"h\"]\n\n\
         [[lesson]]\nslug = \"store\"\ntitle = \"The store\"\nfile = \"lessons/2-data/store.md\"\n"
    )
}

const GATE: &str = "# The gate

## Opening

## The exercise

<!-- stages: numbered and titled from course.toml in the book -->
| stage | what it checks | section |
| --- | --- | --- |
| `opens` | it opens on time | [Opening](#opening) |
| `closes` | it closes | [the store](../2-data/store.md#keys) |

![the gate](../assets/gate.svg)

```text
✗ stage 2/2  it closes | again
  reproduce: cargo grade gate --stage 2 --seed 1
```
";

const STORE: &str = "# The store\n\n## Keys\n\nBack to [the gate](../1-front-door/gate.md#opening).\n";

fn course(first_title: &str, gate: &str) -> tempfile::TempDir {
    fixture(&[
        ("course.toml", &course_toml(first_title)),
        ("lessons/1-front-door/gate.md", gate),
        ("lessons/2-data/store.md", STORE),
        ("lessons/assets/gate.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ("ex/gate/Cargo.toml", ""),
        ("sol/gate/Cargo.toml", ""),
        ("pri/gate/Cargo.toml", ""),
        ("grader/suites/src/gate/mod.rs", ""),
    ])
}

fn built(dir: &tempfile::TempDir) -> (String, String) {
    let catalog = common::load(dir.path());
    let out = dir.path().join("out");
    if let Err(e) = book::build(&catalog, &out) {
        panic!("{e}");
    }
    let page = std::fs::read_to_string(out.join("gate.html")).expect("gate.html");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    (page, index)
}

fn stage_errors(dir: &tempfile::TempDir) -> Vec<String> {
    match book::check_links(&common::load(dir.path())) {
        Err(book::BookError::Stages(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("not a stage error: {e}"),
        Ok(()) => panic!("the stale stage facts went unnoticed"),
    }
}

#[test]
fn the_stage_table_is_numbered_and_titled_from_the_catalogue() {
    let dir = course("it opens", GATE);
    let (page, _) = built(&dir);
    for want in [
        "<th style=\"text-align: right\">#</th><th>stage</th><th>what it checks</th><th>section</th>",
        "<td style=\"text-align: right\">1</td><td><code>opens</code>: it opens</td><td>it opens on time</td><td><a href=\"#opening\">Opening</a></td>",
        "<td style=\"text-align: right\">2</td><td><code>closes</code>: it closes | again</td>",
        "<a href=\"store.html#keys\">the store</a>",
    ] {
        assert!(page.contains(want), "gate.html lacks {want}:\n{page}");
    }

    // The same lesson, another title in the catalogue: the page follows it.
    let dir = course("it opens *wide*", GATE);
    let (page, _) = built(&dir);
    assert!(page.contains("1</td><td><code>opens</code>: it opens *wide*</td>"), "{page}");
    assert!(!page.contains("<code>opens</code>: it opens</td>"));
}

#[test]
fn a_stage_the_table_leaves_out_or_a_stale_sample_is_refused_with_its_line() {
    let without_closes = GATE.replace("| `closes` | it closes | [the store](../2-data/store.md#keys) |\n", "");
    let dir = course("it opens", &without_closes);
    assert_eq!(
        stage_errors(&dir),
        [
            "lessons/1-front-door/gate.md:7: the stage table has no row for `closes`: every stage in course.toml needs one"
        ]
    );
    let out = dir.path().join("out");
    assert!(book::build(&common::load(dir.path()), &out).is_err(), "build refuses it");
    assert!(!out.exists(), "a failed build writes nothing");

    let stale = GATE.replace("stage 2/2  it closes", "stage 1/2  it closes");
    let errors = stage_errors(&course("it opens", &stale));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0],
        "lessons/1-front-door/gate.md:16: `stage 1/2  it closes | again`: course.toml makes it stage 2/2 (`closes`)"
    );
    assert!(errors[1].starts_with("lessons/1-front-door/gate.md:17: `--stage 2` reproduces another stage"));

    let renamed = GATE.replace("| `opens` |", "| `open` |");
    let errors = stage_errors(&course("it opens", &renamed));
    assert_eq!(
        errors,
        [
            "lessons/1-front-door/gate.md:7: the stage table has no row for `opens`: every stage in course.toml needs one",
            "lessons/1-front-door/gate.md:10: no stage `open` in this lesson's exercise (course.toml has `opens`, `closes`)",
        ]
    );
}

#[test]
fn lessons_in_part_folders_link_by_path_and_the_index_groups_them_by_part() {
    let dir = course("it opens", GATE);
    let (page, index) = built(&dir);
    assert!(page.contains("src=\"assets/gate.svg\""), "an asset linked as ../assets/ lands in assets/");
    assert!(dir.path().join("out/assets/gate.svg").is_file());
    let store = std::fs::read_to_string(dir.path().join("out/store.html")).expect("store.html");
    assert!(store.contains("href=\"gate.html#opening\""), "{store}");

    let main = &index[index.find("<main>").expect("a main")..];
    let at = |needle: &str| main.find(needle).unwrap_or_else(|| panic!("the index lacks {needle}:\n{main}"));
    let (front, gate, data, store) = (
        at("<h2 class=\"part\">Front door</h2>"),
        at("href=\"gate.html\""),
        at("<h2 class=\"part\">Data</h2>"),
        at("href=\"store.html\""),
    );
    assert!(front < gate && gate < data && data < store, "parts, then lessons, in catalogue order");
    assert!(page.contains("<li class=\"part\">Front door</li>"), "the sidebar groups by part too");
}
