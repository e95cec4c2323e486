//! A small least-recently-used cache of embeddings, keyed by the exact text.
//!
//! A backend that searches embeds the shopper's query each time; the same
//! query typed again (a second page, a refresh, an assistant retrying) costs a
//! forward pass of the model for nothing. The cache is bounded twice: by
//! entries and by bytes (the text plus its vector), so a few long texts cannot
//! crowd out memory; a text larger than the whole byte budget is never kept.
//! It belongs to one loaded model (whoever owns the model owns its cache), so
//! the model is part of the key by construction.
//!
//! Eviction scans for the oldest entry: O(entries) on an insert that is over
//! budget, which happens only after a forward pass that costs far more.

use std::collections::HashMap;

/// What the cache holds and how it has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
}

/// An LRU cache of text → embedding.
#[derive(Debug)]
pub struct EmbeddingCache {
    map: HashMap<String, (Vec<f32>, u64)>,
    max_entries: usize,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

/// The bytes an entry counts for: its text and its vector.
fn cost(text: &str, vector: &[f32]) -> usize {
    text.len() + std::mem::size_of_val(vector)
}

impl EmbeddingCache {
    /// A cache of at most `max_entries` entries and `max_bytes` bytes of texts and vectors.
    pub fn new(max_entries: usize, max_bytes: usize) -> EmbeddingCache {
        EmbeddingCache { map: HashMap::new(), max_entries, max_bytes, bytes: 0, clock: 0, hits: 0, misses: 0 }
    }

    /// The cached embedding of exactly `text`, marked as just used.
    pub fn get(&mut self, text: &str) -> Option<Vec<f32>> {
        self.clock += 1;
        match self.map.get_mut(text) {
            Some((vector, used)) => {
                *used = self.clock;
                self.hits += 1;
                Some(vector.clone())
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Keeps `vector` as the embedding of `text`, evicting the least recently
    /// used entries until both bounds hold. A text that alone exceeds the byte
    /// budget is not kept.
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) {
        let size = cost(text, &vector);
        if size > self.max_bytes || self.max_entries == 0 {
            return;
        }
        self.clock += 1;
        if let Some((old, _)) = self.map.insert(text.to_owned(), (vector, self.clock)) {
            self.bytes -= cost(text, &old);
        }
        self.bytes += size;
        while self.map.len() > self.max_entries || self.bytes > self.max_bytes {
            let oldest = self.map.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            if let Some((v, _)) = self.map.remove(&oldest) {
                self.bytes -= cost(&oldest, &v);
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { entries: self.map.len(), bytes: self.bytes, hits: self.hits, misses: self.misses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32) -> Vec<f32> {
        vec![x; 4] // 16 bytes
    }

    #[test]
    fn a_hit_returns_exactly_what_was_stored_and_only_for_the_same_text() {
        let mut c = EmbeddingCache::new(8, 1 << 20);
        c.insert("drill", v(1.0));
        assert_eq!(c.get("drill"), Some(v(1.0)));
        assert_eq!(c.get("Drill"), None, "the key is the exact text");
        assert_eq!(c.get("drill "), None);
        assert_eq!(c.stats(), CacheStats { entries: 1, bytes: 5 + 16, hits: 1, misses: 2 });
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut c = EmbeddingCache::new(2, 1 << 20);
        c.insert("a", v(1.0));
        c.insert("b", v(2.0));
        assert!(c.get("a").is_some()); // b is now the oldest
        c.insert("c", v(3.0));
        assert_eq!(c.get("b"), None);
        assert_eq!(c.get("a"), Some(v(1.0)));
        assert_eq!(c.get("c"), Some(v(3.0)));
        assert_eq!(c.stats().entries, 2);
    }

    #[test]
    fn bytes_bound_the_cache_and_an_oversized_text_is_not_kept() {
        let mut c = EmbeddingCache::new(100, 60);
        c.insert("aaaa", v(1.0)); // 20 bytes
        c.insert("bbbb", v(2.0)); // 40
        c.insert("cccc", v(3.0)); // 60
        c.insert("dddd", v(4.0)); // 80 > 60: "aaaa" goes
        assert_eq!(c.stats().bytes, 60);
        assert_eq!(c.get("aaaa"), None);
        let long = "x".repeat(100);
        c.insert(&long, v(5.0));
        assert_eq!(c.get(&long), None, "larger than the whole budget");
        assert_eq!(c.stats().entries, 3);
    }

    #[test]
    fn replacing_an_entry_counts_its_bytes_once() {
        let mut c = EmbeddingCache::new(4, 1 << 20);
        c.insert("a", v(1.0));
        c.insert("a", v(2.0));
        assert_eq!(c.stats().bytes, 17);
        assert_eq!(c.get("a"), Some(v(2.0)));
    }
}
