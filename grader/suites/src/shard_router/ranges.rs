//! Stage `ranges`: checked call by call against the model: a range's lower
//! bound is inclusive (a key equal to a split point belongs to the range
//! that starts there), splits give the next id and say what moved, merges
//! retire the neighbour's id, refusals change nothing (a split at the empty
//! key or at any existing bound, a merge of the last range, of a retired or
//! never given id), at edge keys (the empty key, `[0x00]`, runs of `0xFF`,
//! 1,024 bytes), splitting before the first and after the last bound.

use contracts::shard_router::{RangeError, RangeMove, RangeRouter};
use rand::{Rng, RngExt};

use super::Subject;
use super::keys::{random_key, show_key};
use super::model::{Listed, RangeModel, Refused};
use grader_protocol::Failure;

use crate::harness::{Ctx, StageResult, Story, WithHint, fail};

fn show_hi(hi: &Option<Vec<u8>>) -> String {
    hi.as_ref().map_or("∞".to_string(), |h| show_key(h))
}

fn show_move(m: &Result<RangeMove, RangeError>) -> String {
    match m {
        Ok(m) => format!("Ok([{}, {}) from {} to {})", show_key(&m.lo), show_hi(&m.hi), m.from, m.to),
        Err(e) => format!("Err({e:?})"),
    }
}

fn show_ranges(rs: &[Listed]) -> String {
    let mut shown: Vec<String> =
        rs.iter().take(8).map(|(lo, hi, s)| format!("[{}, {}) → {s}", show_key(lo), show_hi(hi))).collect();
    if rs.len() > 8 {
        shown.push(format!("… {} ranges in all", rs.len()));
    }
    shown.join(", ")
}

/// A key just below `key` in byte order, when there is one that is not
/// smaller than every other (the empty key has none).
fn just_below(key: &[u8]) -> Option<Vec<u8>> {
    let (&last, head) = key.split_last()?;
    if last == 0 {
        return Some(head.to_vec());
    }
    let mut k = head.to_vec();
    k.push(last - 1);
    k.push(0xFF);
    Some(k)
}

/// A router driven in lockstep with the model.
struct Lockstep {
    router: Box<dyn RangeRouter>,
    model: RangeModel,
    story: Story<String>,
}

const HINT_BOUNDS: &str = "A range [lo, hi) holds lo ≤ key < hi: look up the range with the greatest lower bound ≤ key (BTreeMap::range(..=key).next_back(), or a binary search for the last lo ≤ key). A key equal to a split point belongs to the range that starts there.";

impl Lockstep {
    fn new(s: Subject) -> Lockstep {
        Lockstep { router: (s.ranges)(), model: RangeModel::new(), story: Story::new() }
    }

    fn told(&self) -> String {
        format!("A RangeRouter after new(), then:\n  {}", self.story.tell(String::clone))
    }

    fn split(&mut self, at: &[u8]) -> Result<(), Failure> {
        let got = self.router.split(at);
        let want = match self.model.split(at) {
            Ok(m) => Ok(m),
            Err(_) => Err(RangeError::AlreadyABound(at.to_vec())),
        };
        let call = format!("split({})", show_key(at));
        let agree = got == want;
        let hint = match (&want, &got) {
            (Err(_), Ok(_)) => {
                "A split at a key that already starts a range (the empty key starts the first one) is Err(AlreadyABound(at)) and changes nothing."
            }
            (Ok(w), Ok(g)) if w.to != g.to => {
                "The new range takes the next id: one more than the largest id ever given out, even if that shard has since been merged away; ids are never reused."
            }
            (Ok(_), Ok(_)) => {
                "The answer is what moved: lo = at, hi the old range's end (None for the last range), from the old shard, to the new one."
            }
            _ => HINT_BOUNDS,
        };
        let situation = self.told();
        self.story.check(agree, format!("{call} → {}", show_move(&got)), |_| {
            fail(format!("{situation}\n  then {call}"), show_move(&want), show_move(&got)).hint(hint)
        })?;
        self.compare(&call)
    }

    fn merge(&mut self, left: u32) -> Result<(), Failure> {
        let got = self.router.merge(left);
        let want = match self.model.merge(left) {
            Ok(m) => Ok(m),
            Err(Refused::NoRightNeighbour) => Err(RangeError::NoRightNeighbour(left)),
            Err(_) => Err(RangeError::UnknownShard(left)),
        };
        let call = format!("merge({left})");
        let hint = match &want {
            Err(RangeError::NoRightNeighbour(_)) => {
                "The last range has no right neighbour: Err(NoRightNeighbour(left)), nothing changes."
            }
            Err(_) => {
                "A shard that holds no range (never given out, or retired by a merge) is Err(UnknownShard(left)), and nothing changes."
            }
            Ok(_) => {
                "merge(left): left's range absorbs the range right after it in key order (not the next id); the answer is the absorbed range [mid, hi), from the neighbour, to left."
            }
        };
        let situation = self.told();
        self.story.check(got == want, format!("{call} → {}", show_move(&got)), |_| {
            fail(format!("{situation}\n  then {call}"), show_move(&want), show_move(&got)).hint(hint)
        })?;
        self.compare(&call)
    }

    /// ranges() and shard_for at every bound and just below it.
    fn compare(&mut self, after: &str) -> Result<(), Failure> {
        let want: Vec<Listed> = self.model.ranges.iter().map(|r| (r.lo.clone(), r.hi.clone(), r.shard)).collect();
        let got = self.router.ranges();
        if got != want {
            return Err(fail(format!("{}\n  then ranges()", self.told()), show_ranges(&want), show_ranges(&got)).hint(
                "ranges() lists every range in key order as (lo, hi, shard): the first lo is the empty key, each hi the next lo, the last hi None.",
            ));
        }
        if self.model.ranges.len() > 64 && !after.starts_with('!') {
            return Ok(());
        }
        let mut probes: Vec<Vec<u8>> = vec![Vec::new(), vec![0xFF; 1024]];
        for r in &self.model.ranges {
            probes.push(r.lo.clone());
            probes.extend(just_below(&r.lo));
            let mut after_lo = r.lo.clone();
            after_lo.push(0);
            probes.push(after_lo);
        }
        for k in probes {
            let (w, g) = (self.model.shard_for(&k), self.router.shard_for(&k));
            if w != g {
                let is_bound = self.model.ranges.iter().any(|r| r.lo == k);
                return Err(fail(
                    format!(
                        "{}\n  then shard_for({}){}",
                        self.told(),
                        show_key(&k),
                        if is_bound { " (a split point)" } else { "" }
                    ),
                    w,
                    g,
                )
                .hint(HINT_BOUNDS));
            }
        }
        Ok(())
    }
}

fn live_or_not(rng: &mut impl Rng, l: &Lockstep) -> u32 {
    let shards = l.model.shards();
    match rng.random_range(0..10) {
        0 => l.model.next + rng.random_range(0..3),
        1 => rng.random_range(0..l.model.next),
        _ => shards[rng.random_range(0..shards.len())],
    }
}

pub(super) fn run(s: Subject, ctx: &Ctx) -> StageResult {
    // The lesson's example: split at "m", a key equal to "m" goes right.
    let mut l = Lockstep::new(s);
    l.compare("!")?;
    l.split(b"m")?;
    l.split(b"m")?; // an existing bound
    l.split(b"")?; // the empty key always is one
    l.split(b"g")?;
    l.split(b"t")?;
    l.merge(1)?; // [m, t) absorbs [t, ∞): id 3 retires
    l.merge(1)?; // now the last range
    l.merge(3)?; // retired
    l.merge(99)?; // never given
    l.split(b"x")?; // next id is 4, not 3
    l.merge(0)?; // [∅, g) absorbs [g, m)
    l.merge(0)?;
    l.merge(0)?;
    l.merge(0)?; // one range left: nothing to merge
    // Edge keys: before the first bound and after the last.
    let mut l = Lockstep::new(s);
    l.split(&[0x00])?; // the smallest key after the empty one
    l.split(&[0x00, 0x00])?;
    l.split(&[0xFF; 1024])?;
    l.split(&[0xFF; 1023])?;
    l.split(&[0xFF])?;
    l.split(&[0x00])?;
    l.split(b"a")?;
    l.split(b"a\0")?;
    l.merge(0)?;
    l.compare("!")?;
    // Random sequences, checked call by call.
    let mut rng = ctx.rng(30);
    for round in 0..6 {
        let mut l = Lockstep::new(s);
        let steps = if round < 4 { 300 } else { 3_000 };
        for _ in 0..steps {
            let bounds = l.model.ranges.len();
            match rng.random_range(0..10) {
                0..=5 => {
                    let at = random_key(&mut rng);
                    l.split(&at)?;
                }
                6 => {
                    let at = l.model.ranges[rng.random_range(0..bounds)].lo.clone();
                    l.split(&at)?;
                }
                _ => {
                    let left = live_or_not(&mut rng, &l);
                    l.merge(left)?;
                }
            }
        }
        l.compare("!")?;
        // Every random key, against the model.
        for _ in 0..2_000 {
            let k = random_key(&mut rng);
            let (w, g) = (l.model.shard_for(&k), l.router.shard_for(&k));
            if w != g {
                return Err(fail(format!("{}\n  then shard_for({})", l.told(), show_key(&k)), w, g).hint(HINT_BOUNDS));
            }
        }
    }
    Ok(vec![])
}
