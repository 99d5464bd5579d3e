//! Finding keys that occur more than once in a file, in flat memory whatever the file size.
//!
//! Pass 1 feeds every key to a [`CandidateFilter`]: a fixed-size Bloom filter (2 MiB) that remembers keys seen
//! so far and collects, exactly, each key it *may* have seen before. Every real duplicate is among the candidates;
//! with a million distinct keys only about a thousand false candidates join them. Later passes use a
//! [`DuplicateTracker`] that remembers the first line of each candidate only, and so names the exact earlier
//! line of every duplicate. (A Bloom filter this small is a few lines; no crate is needed for it.)

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

const FILTER_BITS: usize = 1 << 24; // 2 MiB
const HASHES: u64 = 6;

/// Pass 1: a Bloom filter plus the exact set of keys it may have seen before.
pub(crate) struct CandidateFilter {
    bits: Vec<u64>,
    hasher: std::collections::hash_map::RandomState,
    candidates: HashSet<String>,
}

impl Default for CandidateFilter {
    fn default() -> Self {
        CandidateFilter {
            bits: vec![0; FILTER_BITS / 64],
            hasher: Default::default(),
            candidates: HashSet::new(),
        }
    }
}

impl CandidateFilter {
    /// Records `key`; remembers it as a candidate if it may have been seen before.
    pub(crate) fn observe(&mut self, key: &str) {
        let h1 = self.hasher.hash_one(key);
        let h2 = h1.rotate_left(32) | 1;
        let mut seen = true;
        for i in 0..HASHES {
            let bit = (h1.wrapping_add(i.wrapping_mul(h2)) % FILTER_BITS as u64) as usize;
            let (word, mask) = (bit / 64, 1u64 << (bit % 64));
            if self.bits[word] & mask == 0 {
                seen = false;
                self.bits[word] |= mask;
            }
        }
        if seen {
            self.candidates.insert(key.to_string());
        }
    }

    /// The keys that may occur more than once.
    pub(crate) fn into_tracker(self) -> DuplicateTracker {
        DuplicateTracker {
            candidates: self.candidates,
            first_line: HashMap::new(),
        }
    }
}

/// Later passes: the first line of each candidate key, to name the earlier line of each duplicate.
#[derive(Debug, Clone, Default)]
pub(crate) struct DuplicateTracker {
    candidates: HashSet<String>,
    first_line: HashMap<String, u64>,
}

impl DuplicateTracker {
    /// Records `key` at `line`; returns the line of its first occurrence if `key` was seen before.
    pub(crate) fn check(&mut self, key: &str, line: u64) -> Option<u64> {
        if !self.candidates.contains(key) {
            return None;
        }
        match self.first_line.get(key) {
            Some(first) => Some(*first),
            None => {
                self.first_line.insert(key.to_string(), line);
                None
            }
        }
    }

    /// A fresh tracker over the same candidates, for another pass.
    pub(crate) fn restart(&self) -> DuplicateTracker {
        DuplicateTracker {
            candidates: self.candidates.clone(),
            first_line: HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_duplicate_with_its_first_line() {
        let keys: Vec<String> = (0..50_000)
            .map(|i| format!("user{i}"))
            .chain(["user7".into(), "user49999".into(), "user7".into()])
            .collect();
        let mut filter = CandidateFilter::default();
        keys.iter().for_each(|k| filter.observe(k));
        let mut tracker = filter.into_tracker();
        let dups: Vec<(usize, u64)> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| tracker.check(k, i as u64 + 2).map(|first| (i, first)))
            .collect();
        assert_eq!(dups, vec![(50_000, 9), (50_001, 50_001), (50_002, 9)]);
    }

    #[test]
    fn restart_forgets_lines_but_keeps_candidates() {
        let mut filter = CandidateFilter::default();
        ["a", "b", "a"].iter().for_each(|k| filter.observe(k));
        let mut first = filter.into_tracker();
        assert_eq!(first.check("a", 2), None);
        assert_eq!(first.check("a", 4), Some(2));
        let mut again = first.restart();
        assert_eq!(again.check("a", 2), None);
        assert_eq!(again.check("a", 4), Some(2));
    }
}
