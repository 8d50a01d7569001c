//! Tests of the simulation.
use super::*;

/// A small well-formedness check: tags balanced and in order, one root,
/// attributes quoted, no bare `&` or `<` in text.
fn well_formed(doc: &str) -> Result<(), String> {
    let mut stack: Vec<String> = vec![];
    let mut roots = 0;
    let mut rest = doc.trim();
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").replace("&quot;", "").contains('&') {
            return Err(format!("bare & in {text:.40}"));
        }
        rest = &rest[open..];
        let close = rest.find('>').ok_or("a tag is not closed")?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        if tag.matches('"').count() % 2 != 0 {
            return Err(format!("unbalanced quotes in <{tag:.60}>"));
        }
        let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
        if stack.is_empty() {
            roots += 1;
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    if !rest.trim().is_empty() || !stack.is_empty() || roots != 1 {
        return Err(format!("left open: {stack:?}, {roots} roots, trailing {rest:.20}"));
    }
    Ok(())
}

fn run(learner: Subject) -> Artifact {
    let ctx = Ctx { seed: 1 };
    simulate(learner, Subject::baseline(), &ctx).expect("runs")
}

#[test]
fn the_checker_rejects_what_is_not_well_formed() {
    assert!(well_formed(r#"<svg a="1"><g><rect x="1"/></g></svg>"#).is_ok());
    for bad in [
        "<svg><g></svg>",
        "<svg></g></svg>",
        "<svg>a & b</svg>",
        r#"<svg x="1></svg>"#,
        "<svg></svg><svg></svg>",
        "<svg>",
    ] {
        assert!(well_formed(bad).is_err(), "accepted {bad}");
    }
}

#[test]
fn the_picture_is_well_formed_and_the_figures_tell_the_story() {
    let art = run(Subject::baseline());
    let svg = art.svg.expect("a picture");
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg:.400}"));
    assert!(svg.contains("<title id=\"title\">") && svg.contains("<desc id=\"desc\">"));
    assert!(!art.text.contains("not implemented"), "{}", art.text);
    // Single flight: one load per burst; without jitter the modelled
    // stampede peaks at every key's readers at once.
    assert!(
        art.text.contains(&format!("{READERS} threads missing one key at once (yours): 1 store load")),
        "{}",
        art.text
    );
    assert!(art.text.contains(&format!("{} (t=100)", HOT_KEYS * READERS as u64)), "{}", art.text);
}

#[test]
fn a_stub_reads_not_implemented_and_the_reference_still_runs() {
    fn todo_lru(_: usize) -> Box<dyn contracts::cache_aside::TtlLru> {
        panic!("not yet implemented") // what a stub's todo!() panics with
    }
    fn todo_policy(_: usize) -> Box<dyn Policy> {
        panic!("not yet implemented") // what a stub's todo!() panics with
    }
    fn todo_front(_: Arc<dyn Store>, _: FrontConfig) -> Arc<dyn contracts::cache_aside::CacheAside> {
        panic!("not yet implemented") // what a stub's todo!() panics with
    }
    let stub = Subject { lru: todo_lru, lfu: todo_policy, admission: todo_policy, front: todo_front };
    let art = run(stub);
    assert!(art.text.contains("LRU yours           not implemented yet"), "{}", art.text);
    assert!(art.text.contains("(yours): not implemented yet"), "{}", art.text);
    assert!(art.text.contains("(reference): 1 store load"), "{}", art.text);
    well_formed(&art.svg.expect("a picture")).expect("well formed");
}
