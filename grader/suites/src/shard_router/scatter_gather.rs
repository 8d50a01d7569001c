//! Stage `scatter-gather`: `merge_top_k` against the model (every slice
//! concatenated and sorted): exact pages, ties across shards broken by id,
//! a cursor whose item is gone, pages that concatenate to the full order
//! with no gap and no repeat, `next` exactly when items remain, `k = 0`, no
//! shards, empty shards, scores 0 and `u64::MAX`, 4,096 shards.

use contracts::shard_router::{Cursor, Item, Page};
use rand::RngExt;

use super::Subject;
use super::model::{all_sorted, shards_of_items, top_k};
use crate::harness::{Ctx, StageResult, WithHint, fail};

fn show_items(items: &[Item]) -> String {
    let mut shown: Vec<String> = items.iter().take(8).map(|i| format!("({}, #{})", i.score, i.id)).collect();
    if items.len() > 8 {
        shown.push(format!("… {} items", items.len()));
    }
    format!("[{}]", shown.join(", "))
}

fn show_page(p: &Page) -> String {
    format!(
        "items {}, next {}",
        show_items(&p.items),
        p.next.map_or("None".to_string(), |c| format!("Some(score {}, id {})", c.score, c.id))
    )
}

fn show_shards(shards: &[Vec<(u64, u64)>]) -> String {
    let shown: Vec<String> = shards
        .iter()
        .take(4)
        .map(|s| {
            let items: Vec<Item> = s.iter().map(|&(score, id)| Item { score, id }).collect();
            show_items(&items)
        })
        .collect();
    let more = if shards.len() > 4 { format!(" … {} shards in all", shards.len()) } else { String::new() };
    format!("{}{more}", shown.join(" "))
}

/// The model's page.
fn want_page(sorted: &[(u64, u64)], k: usize, after: Option<Cursor>) -> Page {
    let (items, more) = top_k(sorted, k, after.map(|c| (c.score, c.id)));
    let next = match items.last() {
        Some(&(score, id)) if more => Some(Cursor { score, id }),
        _ => None,
    };
    Page { items: items.into_iter().map(|(score, id)| Item { score, id }).collect(), next }
}

fn check(
    s: Subject,
    shards: &[Vec<(u64, u64)>],
    k: usize,
    after: Option<Cursor>,
    what: &str,
) -> Result<Page, grader_protocol::Failure> {
    let items: Vec<Vec<Item>> =
        shards.iter().map(|s| s.iter().map(|&(score, id)| Item { score, id }).collect()).collect();
    let slices: Vec<&[Item]> = items.iter().map(Vec::as_slice).collect();
    let got = (s.merge)(&slices, k, after);
    let want = want_page(&all_sorted(shards), k, after);
    if got == want {
        return Ok(got);
    }
    let hint = if got.items.len() > k {
        "A page holds at most k items."
    } else if got.items != want.items && got.items.len() == want.items.len() && {
        let mut a = got.items.clone();
        a.sort_by_key(|i| (std::cmp::Reverse(i.score), i.id));
        a == want.items
    } {
        "The order is score descending, then id ascending: among equal scores (ties across shards), the smaller id first."
    } else if got.items != want.items {
        "Start each shard just after the cursor (a binary search for the first item that comes after (score, id) in the order: it may be gone), then merge: a heap holding each shard's next item, popped k times, gives the global first k exactly."
    } else {
        "next is the last item's cursor when at least one item, on any shard, comes after it; None when the page reached the end, and for an empty page (k = 0, no items)."
    };
    let after = after.map_or("None".to_string(), |c| format!("Some(score {}, id {})", c.score, c.id));
    Err(fail(
        format!("merge_top_k({} shards: {}, k = {k}, after = {after}){what}.", shards.len(), show_shards(shards)),
        show_page(&want),
        show_page(&got),
    )
    .hint(hint))
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    // The lesson's example: ties across shards by id.
    let a = vec![(90, 4), (70, 1), (70, 8), (10, 2)];
    let b = vec![(90, 3), (70, 5), (20, 6)];
    let c = vec![];
    let ex = vec![a, b, c];
    check(s, &ex, 3, None, "")?;
    check(s, &ex, 7, None, " (exactly every item)")?;
    check(s, &ex, 100, None, " (more than every item)")?;
    check(s, &ex, 3, Some(Cursor { score: 70, id: 5 }), "")?;
    check(s, &ex, 2, Some(Cursor { score: 70, id: 6 }), " (an item that is not there)")?;
    check(s, &ex, 2, Some(Cursor { score: 10, id: 2 }), " (the cursor is the last item)")?;
    check(s, &ex, 0, None, " (k = 0)")?;
    check(s, &ex, 0, Some(Cursor { score: 70, id: 1 }), " (k = 0)")?;
    check(s, &[], 5, None, " (no shards)")?;
    check(s, &[vec![], vec![]], 5, None, " (empty shards)")?;
    check(
        s,
        &[vec![(u64::MAX, u64::MAX)], vec![(u64::MAX, 0), (0, 0)]],
        2,
        None,
        " (scores and ids at the ends of u64)",
    )?;
    check(
        s,
        &[vec![(u64::MAX, u64::MAX)], vec![(u64::MAX, 0), (0, 1)]],
        2,
        Some(Cursor { score: u64::MAX, id: 0 }),
        "",
    )?;

    // Random shards: pages concatenate to the full order.
    let mut rng = ctx.rng(70);
    for (shards, per, scores) in [(1, 50, 10), (2, 30, 5), (7, 100, 20), (16, 500, 1_000), (64, 40, 3), (4096, 3, 100)]
    {
        for _ in 0..3 {
            let data = shards_of_items(&mut rng, shards, per, scores);
            let total: usize = data.iter().map(Vec::len).sum();
            let k = match rng.random_range(0..4) {
                0 => 1,
                1 => rng.random_range(1..=10),
                _ => rng.random_range(1..=total.max(1)),
            };
            let mut after = None;
            let mut pages = 0;
            loop {
                let page = check(s, &data, k, after, &format!(" (page {} of a walk with k = {k})", pages + 1))?;
                pages += 1;
                match page.next {
                    Some(c) => after = Some(c),
                    None => break,
                }
                if pages > total + 1 {
                    return Err(fail("a walk of pages with next", "an end (next None)", "more pages than items")
                        .hint("next must be None once the page reached the end."));
                }
            }
            // A random cursor, not necessarily an item.
            let cursor = Cursor { score: rng.random_range(0..scores), id: rng.random_range(0..10_000) };
            check(s, &data, rng.random_range(0..=20), Some(cursor), " (a cursor that may match no item)")?;
        }
    }
    Ok(vec![])
}
