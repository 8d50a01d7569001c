//! Facts about an exercise's stages, taken from the catalogue rather than
//! re-typed in a lesson.
//!
//! A lesson shows its exercise's stages in a table keyed by stage id, right
//! after the directive `<!-- stages -->` (anything may follow the word
//! `stages` inside the comment, e.g. a note for the reader on GitHub):
//!
//! ```text
//! <!-- stages: numbered and titled from course.toml in the book -->
//! | stage | what it checks | section |
//! | --- | --- | --- |
//! | `starts-full` | `capacity` requests pass back to back | [The bucket](#the-bucket) |
//! ```
//!
//! On GitHub the comment is invisible and the table reads as written: the
//! stage ids and what the lesson says about each. In the book every row also
//! gets the stage's number and title from `course.toml`:
//!
//! ```text
//! | # | stage | what it checks | section |
//! | ---: | --- | --- | --- |
//! | 1 | `starts-full`: starts full, allows exactly capacity | … | … |
//! ```
//!
//! The table must have one row per stage of the lesson's exercise, in the
//! order they are graded: a stage added to the catalogue without a row, a row
//! for a stage that is gone, or rows in another order are reported with the
//! lesson's file and line, like a broken link.
//!
//! Sample reports quoted in a lesson (`✗ stage 3/8  least-connections: …`,
//! printed by the grader, so a number cannot be avoided there) are checked
//! instead: the title must be a stage's title, the number its place and the
//! count the exercise's number of stages, and a `--stage N` in the same code
//! block must name that same stage.
//!
//! The expansion keeps every line where it was (header for header, row for
//! row), so the line numbers of links and problems are those of the file.

use catalog::Stage;

/// A stage fact a lesson gets wrong, or a directive that cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// 1-based line in the lesson.
    pub line: usize,
    pub message: String,
}

/// `text` with every stage table rendered from `stages` (the lesson's
/// exercise's, or `None` for a lesson without one), and what is wrong.
pub(crate) fn expand(text: &str, stages: Option<&[Stage]>) -> (String, Vec<Problem>) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 1024);
    let mut problems = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(f) = fence_marker(line) {
            fence = match fence {
                None => Some(f),
                Some((c, n)) if c == f.0 && f.1 >= n && is_bare_fence(line) => None,
                open => open,
            };
        }
        out.push_str(line);
        i += 1;
        if fence.is_some() || !is_directive(line) {
            continue;
        }
        let directive_line = i;
        let Some(stages) = stages else {
            problems.push(Problem {
                line: directive_line,
                message: "a stage table in a lesson without an exercise in course.toml".into(),
            });
            continue;
        };
        while i < lines.len() && lines[i].trim().is_empty() {
            out.push_str(lines[i]);
            i += 1;
        }
        let table_end = (i..lines.len()).find(|&j| !is_table_row(lines[j])).unwrap_or(lines.len());
        if table_end < i + 2 || !is_delimiter_row(lines[i + 1]) {
            problems.push(Problem {
                line: directive_line,
                message: "`<!-- stages -->` must be followed by a table whose first column holds stage ids".into(),
            });
            continue;
        }
        let (rendered, found) = render_table(&lines[i..table_end], i + 1, stages);
        out.push_str(&rendered);
        problems.extend(found);
        problems.extend(coverage(&lines[i + 2..table_end], i + 3, directive_line, stages));
        i = table_end;
    }
    (out, problems)
}

/// `<!-- stages -->`, `<!-- stages: a note -->` on a line of its own.
fn is_directive(line: &str) -> bool {
    let Some(rest) = line.trim().strip_prefix("<!--") else { return false };
    let Some(inner) = rest.strip_suffix("-->") else { return false };
    let inner = inner.trim_start();
    inner.strip_prefix("stages").is_some_and(|after| after.is_empty() || !after.starts_with(char::is_alphanumeric))
}

/// The fence character and length of a line opening or closing a fenced code block.
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = trimmed.chars().take_while(|&x| x == c).count();
    (n >= 3).then_some((c, n))
}

/// A closing fence has nothing after its markers.
fn is_bare_fence(line: &str) -> bool {
    line.trim().chars().all(|c| c == '`' || c == '~')
}

fn is_table_row(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.contains('|')
}

fn is_delimiter_row(line: &str) -> bool {
    let cells = cells(line);
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim().trim_start_matches(':').trim_end_matches(':');
            !c.is_empty() && c.chars().all(|x| x == '-')
        })
}

/// The cells of a table row, as written (untrimmed), split at unescaped `|`.
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") { &t[..t.len() - 1] } else { t };
    let mut cells = vec![String::new()];
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = cells.last_mut().expect("at least one cell");
                last.push('\\');
                if let Some(next) = chars.next() {
                    last.push(next);
                }
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("at least one cell").push(c),
        }
    }
    cells
}

/// The stage id a row's first cell names: `` `round-robin` `` or `round-robin`.
fn row_id(line: &str) -> String {
    cells(line).first().map(|c| c.trim().trim_matches('`').trim().to_string()).unwrap_or_default()
}

/// The table with a `#` column in front and each stage cell followed by its
/// title. `first_line` is the 1-based line of the header.
fn render_table(rows: &[&str], first_line: usize, stages: &[Stage]) -> (String, Vec<Problem>) {
    let mut out = String::new();
    let mut problems = Vec::new();
    let joined = |cells: &[String]| format!("|{}|\n", cells.join("|"));
    let mut header = vec![" # ".to_string()];
    header.extend(cells(rows[0]));
    out.push_str(&joined(&header));
    let mut delimiter = vec![" ---: ".to_string()];
    delimiter.extend(cells(rows[1]));
    out.push_str(&joined(&delimiter));
    for (k, row) in rows[2..].iter().enumerate() {
        let line = first_line + 2 + k;
        let id = row_id(row);
        let mut cells = cells(row);
        match stages.iter().position(|s| s.id == id) {
            Some(n) => {
                cells[0] = format!(" `{id}`: {} ", markdown_text(&stages[n].title));
                cells.insert(0, format!(" {} ", n + 1));
            }
            None => {
                problems.push(Problem {
                    line,
                    message: format!("no stage `{id}` in this lesson's exercise (course.toml has {})", ids(stages)),
                });
                cells.insert(0, " ? ".to_string());
            }
        }
        out.push_str(&joined(&cells));
    }
    (out, problems)
}

/// Rows missing, repeated or out of the catalogue's order.
fn coverage(rows: &[&str], first_line: usize, directive_line: usize, stages: &[Stage]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let written: Vec<String> = rows.iter().map(|r| row_id(r)).collect();
    let mut seen: Vec<&str> = Vec::new();
    for (k, id) in written.iter().enumerate() {
        if seen.contains(&id.as_str()) {
            problems.push(Problem { line: first_line + k, message: format!("stage `{id}` has two rows") });
        }
        seen.push(id);
    }
    let missing: Vec<&Stage> = stages.iter().filter(|s| !written.contains(&s.id)).collect();
    if !missing.is_empty() {
        let list = missing.iter().map(|s| format!("`{}`", s.id)).collect::<Vec<_>>().join(", ");
        problems.push(Problem {
            line: directive_line,
            message: format!("the stage table has no row for {list}: every stage in course.toml needs one"),
        });
    }
    let known: Vec<&String> = written.iter().filter(|id| stages.iter().any(|s| &s.id == *id)).collect();
    let order: Vec<&String> = stages.iter().map(|s| &s.id).filter(|id| known.contains(id)).collect();
    if let Some(k) = known.iter().zip(&order).position(|(w, o)| w != o) {
        let at = written.iter().position(|id| id == known[k]).unwrap_or(0);
        problems.push(Problem {
            line: first_line + at,
            message: format!(
                "rows out of order: course.toml grades `{}` here; keep the rows in the order of {}",
                order[k],
                ids(stages)
            ),
        });
    }
    problems
}

fn ids(stages: &[Stage]) -> String {
    stages.iter().map(|s| format!("`{}`", s.id)).collect::<Vec<_>>().join(", ")
}

/// `text` as literal markdown: every character markdown gives a meaning escaped.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|~&!#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Sample report lines (`stage N/M  title`) that disagree with the catalogue,
/// and `--stage K` in the same code block naming another stage.
pub(crate) fn check_samples(text: &str, stages: Option<&[Stage]>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut sample: Option<usize> = None;
    for (k, line) in text.lines().enumerate() {
        let line_no = k + 1;
        if let Some(f) = fence_marker(line) {
            fence = match fence {
                None => Some(f),
                Some((c, n)) if c == f.0 && f.1 >= n && is_bare_fence(line) => None,
                open => open,
            };
            sample = None;
            continue;
        }
        if let Some((n, m, title)) = sample_line(line) {
            let Some(stages) = stages else {
                problems.push(Problem {
                    line: line_no,
                    message: format!("`stage {n}/{m}` in a lesson without an exercise in course.toml"),
                });
                continue;
            };
            match stages.iter().position(|s| s.title == title) {
                None => problems.push(Problem {
                    line: line_no,
                    message: format!(
                        "`stage {n}/{m}  {title}`: no stage of this exercise has that title in course.toml"
                    ),
                }),
                Some(at) if (at + 1, stages.len()) != (n, m) => problems.push(Problem {
                    line: line_no,
                    message: format!(
                        "`stage {n}/{m}  {title}`: course.toml makes it stage {}/{} (`{}`)",
                        at + 1,
                        stages.len(),
                        stages[at].id
                    ),
                }),
                Some(_) => {}
            }
            if fence.is_some() {
                sample = Some(n);
            }
            continue;
        }
        if let (Some(n), Some(k)) = (sample, stage_flag(line)) {
            if k != n && line.contains("reproduce:") {
                problems.push(Problem {
                    line: line_no,
                    message: format!("`--stage {k}` reproduces another stage than the sample above it (stage {n})"),
                });
            }
        }
    }
    problems
}

/// `… stage N/M  title` as the grader prints it.
fn sample_line(line: &str) -> Option<(usize, usize, &str)> {
    let at = line.find("stage ")?;
    let rest = &line[at + "stage ".len()..];
    let (n, rest) = number(rest)?;
    let rest = rest.strip_prefix('/')?;
    let (m, rest) = number(rest)?;
    let title = rest.strip_prefix("  ")?.trim();
    (!title.is_empty()).then_some((n, m, title))
}

/// The `N` of `--stage N` on a line.
fn stage_flag(line: &str) -> Option<usize> {
    let at = line.find("--stage ")?;
    number(&line[at + "--stage ".len()..]).map(|(n, _)| n)
}

fn number(s: &str) -> Option<(usize, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: &str, title: &str) -> Stage {
        Stage { id: id.into(), title: title.into(), hints: Vec::new(), timeout_ms: 1 }
    }

    fn stages() -> Vec<Stage> {
        vec![stage("first", "one | two"), stage("second", "the *second*")]
    }

    const TABLE: &str = "intro\n<!-- stages: numbered in the book -->\n| stage | checks |\n| --- | --- |\n| `first` | a \\| b |\n| second | c |\nafter\n";

    #[test]
    fn a_table_gets_numbers_and_titles_and_keeps_its_lines() {
        let (out, problems) = expand(TABLE, Some(&stages()));
        assert_eq!(problems, []);
        assert_eq!(
            out,
            "intro\n<!-- stages: numbered in the book -->\n| # | stage | checks |\n| ---: | --- | --- |\n| 1 | `first`: one \\| two | a \\| b |\n| 2 | `second`: the \\*second\\* | c |\nafter\n"
        );
        assert_eq!(out.lines().count(), TABLE.lines().count());
    }

    #[test]
    fn missing_unknown_repeated_and_reordered_rows_are_named() {
        let text = "<!-- stages -->\n| s | c |\n| - | - |\n| second | x |\n| ghost | y |\n| second | z |\n";
        let (_, problems) = expand(text, Some(&stages()));
        let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(
            got,
            [
                (5, "no stage `ghost` in this lesson's exercise (course.toml has `first`, `second`)"),
                (6, "stage `second` has two rows"),
                (1, "the stage table has no row for `first`: every stage in course.toml needs one"),
            ]
        );
        let (_, problems) = expand("<!-- stages -->\n| s |\n| - |\n| second |\n| first |\n", Some(&stages()));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].message.starts_with("rows out of order: course.toml grades `first` here"));
    }

    #[test]
    fn a_directive_needs_a_table_and_an_exercise_and_fenced_ones_are_text() {
        assert_eq!(expand("<!-- stages -->\n\nno table\n", Some(&stages())).1.len(), 1);
        assert_eq!(expand(TABLE, None).1[0].line, 2);
        let fenced = format!("```text\n{TABLE}```\n");
        assert_eq!(expand(&fenced, Some(&stages())), (fenced.clone(), vec![]));
        assert!(!is_directive("<!-- stagesx -->") && is_directive("<!--stages-->"));
    }

    #[test]
    fn sample_reports_must_match_the_catalogue() {
        let good = "```text\n✗ stage 2/2  the *second*\n  reproduce: cargo grade x --stage 2 --seed 1\n```\n";
        assert_eq!(check_samples(good, Some(&stages())), []);
        let bad = "```text\n✗ stage 1/3  the *second*\n  reproduce: cargo grade x --stage 1\n```\n✓ stage 1/2  gone\n";
        let got: Vec<usize> = check_samples(bad, Some(&stages())).iter().map(|p| p.line).collect();
        assert_eq!(got, [2, 5]);
        let wrong_flag = "```text\n✗ stage 2/2  the *second*\n  reproduce: cargo grade x --stage 1\n```\n";
        assert_eq!(check_samples(wrong_flag, Some(&stages()))[0].line, 3);
    }
}
