//! A small deterministic PRNG (SplitMix64) and the helpers the generator needs.
//!
//! Demo data must be identical for the same seed on every machine and every
//! release, so the generator uses this fixed algorithm rather than a crate whose
//! stream could change between versions.

/// SplitMix64: 64-bit state, passes BigCrush, trivially reproducible.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed ^ 0x5a5a_0f0f_d1b5_4a32 }
    }

    /// A child stream: same parent and label → same child, whatever else the parent did.
    pub fn fork(seed: u64, label: u64) -> Self {
        Self::new(mix(seed.wrapping_add(mix(label))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Lemire's multiply-shift; the tiny bias is irrelevant for demo data.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [lo, hi] (inclusive).
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index into `cumulative` (a non-decreasing prefix sum of weights).
    pub fn pick_cumulative(&mut self, cumulative: &[f64]) -> usize {
        let total = *cumulative.last().expect("non-empty weights");
        let x = self.unit() * total;
        cumulative.partition_point(|&c| c <= x).min(cumulative.len() - 1)
    }

    /// A random (version 4, RFC 4122 variant) UUID as 16 bytes.
    pub fn uuid(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

/// The SplitMix64 finaliser.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable UUID (v4 layout) derived from a name: the same name always gives the
/// same key, so reference rows (products, types) keep their ids across seeds.
pub fn uuid_from_name(namespace: &str, name: &str) -> [u8; 16] {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
    for byte in namespace.bytes().chain([0u8]).chain(name.bytes()) {
        h1 = (h1 ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3);
        h2 = mix(h2 ^ byte as u64);
    }
    let mut rng = Rng::new(mix(h1) ^ h2.rotate_left(17));
    rng.uuid()
}

/// Formats 16 bytes as the canonical 8-4-4-4-12 text.
pub fn uuid_text(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Parses canonical UUID text (used for the fixed, documented ids).
pub const fn uuid_const(s: &str) -> [u8; 16] {
    let s = s.as_bytes();
    let mut out = [0u8; 16];
    let mut i = 0;
    let mut j = 0;
    while i < s.len() {
        if s[i] == b'-' {
            i += 1;
            continue;
        }
        out[j / 2] = (out[j / 2] << 4) | hex_val(s[i]);
        j += 1;
        i += 1;
    }
    assert!(j == 32, "a UUID has 32 hex digits");
    out
}

const fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("not a hex digit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_forks_are_independent() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::fork(7, 1).next_u64(), Rng::fork(7, 2).next_u64());
    }

    #[test]
    fn below_and_range_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let x = r.range_i64(-3, 3);
            assert!((-3..=3).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn pick_cumulative_follows_weights() {
        let mut r = Rng::new(3);
        let cum = [1.0, 1.0, 4.0]; // weights 1, 0, 3
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[r.pick_cumulative(&cum)] += 1;
        }
        assert_eq!(counts[1], 0, "a zero weight is never picked");
        let ratio = counts[2] as f64 / counts[0] as f64;
        assert!((2.7..3.3).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn uuids_are_v4_shaped_and_names_are_stable() {
        let u = Rng::new(9).uuid();
        assert_eq!(u[6] >> 4, 4);
        assert_eq!(u[8] >> 6, 0b10);
        assert_eq!(uuid_from_name("p", "HT-001"), uuid_from_name("p", "HT-001"));
        assert_ne!(uuid_from_name("p", "HT-001"), uuid_from_name("p", "HT-002"));
        assert_ne!(uuid_from_name("p", "x"), uuid_from_name("q", "x"));
        let fixed = uuid_const("5a0a0000-0000-4000-8000-000000000001");
        assert_eq!(uuid_text(&fixed), "5a0a0000-0000-4000-8000-000000000001");
    }
}
