//! The buyers of a store over a day or a month, packed in one value: per
//! customer, completed orders and spend in whole cents. A period's buyers are
//! the sum of its days' and months' packs, added up in memory — one value per
//! (store, day or month) read instead of one row per (store, day or month,
//! customer) aggregated by the executor — so top spenders and repeat customers
//! cost a merge of arrays, not a hash aggregate of every buyer.
//!
//! Stored form: a version byte (1), then one 32-byte entry per customer,
//! ascending by customer id (its 16 bytes, which is also how PostgreSQL orders
//! `uuid`): the id, orders as `i64` and cents as `i64`, both little-endian.
//! Entries whose orders and cents are both zero are left out, so equal buyers
//! are equal bytes.

use std::collections::HashMap;
use std::fmt;

const VERSION: u8 = 1;
const ENTRY: usize = 32;

/// A customer's id, as the 16 bytes of its UUID.
pub type CustomerId = [u8; 16];

/// One customer's orders and spend (whole cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub orders: i64,
    pub cents: i64,
}

/// Bytes that are not packed buyers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotBuyers(pub String);

impl fmt::Display for NotBuyers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not packed buyers: {}", self.0)
    }
}

impl std::error::Error for NotBuyers {}

/// A sum that does not fit in 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a customer's orders or spend do not fit in 64 bits")
    }
}

impl std::error::Error for Overflow {}

fn add(a: Tally, b: Tally) -> Result<Tally, Overflow> {
    Ok(Tally {
        orders: a.orders.checked_add(b.orders).ok_or(Overflow)?,
        cents: a.cents.checked_add(b.cents).ok_or(Overflow)?,
    })
}

fn write<'a>(entries: impl IntoIterator<Item = (&'a CustomerId, &'a Tally)>) -> Vec<u8> {
    let mut out = vec![VERSION];
    for (id, t) in entries {
        if *t == Tally::default() {
            continue;
        }
        out.extend_from_slice(id);
        out.extend_from_slice(&t.orders.to_le_bytes());
        out.extend_from_slice(&t.cents.to_le_bytes());
    }
    out
}

/// The entries of a pack, ascending by id. Truncation, trailing bytes, an
/// unknown version and unordered or repeated ids are errors.
pub fn read(bytes: &[u8]) -> Result<Vec<(CustomerId, Tally)>, NotBuyers> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(NotBuyers("empty".into()));
    };
    if version != VERSION {
        return Err(NotBuyers(format!("unknown version {version}")));
    }
    if body.len() % ENTRY != 0 {
        return Err(NotBuyers(format!("{} bytes after the version, not a whole number of entries", body.len())));
    }
    let mut out: Vec<(CustomerId, Tally)> = Vec::with_capacity(body.len() / ENTRY);
    for e in body.chunks_exact(ENTRY) {
        let id: CustomerId = e[..16].try_into().expect("16 bytes");
        let orders = i64::from_le_bytes(e[16..24].try_into().expect("8 bytes"));
        let cents = i64::from_le_bytes(e[24..32].try_into().expect("8 bytes"));
        if out.last().is_some_and(|(prev, _)| *prev >= id) {
            return Err(NotBuyers("ids out of order or repeated".into()));
        }
        out.push((id, Tally { orders, cents }));
    }
    Ok(out)
}

/// The pack of the given tallies (a customer given twice is added up).
pub fn pack(tallies: impl IntoIterator<Item = (CustomerId, Tally)>) -> Result<Vec<u8>, Overflow> {
    let mut sorted: Vec<(CustomerId, Tally)> = Vec::new();
    let mut all: Vec<(CustomerId, Tally)> = tallies.into_iter().collect();
    all.sort_unstable_by_key(|a| a.0);
    for (id, t) in all {
        match sorted.last_mut() {
            Some((prev, sum)) if *prev == id => *sum = add(*sum, t)?,
            _ => sorted.push((id, t)),
        }
    }
    Ok(write(sorted.iter().map(|(id, t)| (id, t))))
}

/// Errors of [`merge`]: a malformed pack or a sum out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    NotBuyers(NotBuyers),
    Overflow,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::NotBuyers(e) => e.fmt(f),
            MergeError::Overflow => Overflow.fmt(f),
        }
    }
}

impl std::error::Error for MergeError {}

/// Two packs added up (signed: a pack of deltas takes away as well as adds;
/// a customer left at zero orders and zero cents is dropped).
pub fn merge(a: &[u8], b: &[u8]) -> Result<Vec<u8>, MergeError> {
    let (a, b) = (read(a).map_err(MergeError::NotBuyers)?, read(b).map_err(MergeError::NotBuyers)?);
    let mut out: Vec<(CustomerId, Tally)> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                i += 1;
                j += 1;
                (x.0, add(x.1, y.1).map_err(|_| MergeError::Overflow)?)
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                i += 1;
                *x
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (_, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => unreachable!("the loop runs while one side has entries"),
        };
        out.push(next);
    }
    Ok(write(out.iter().map(|(id, t)| (id, t))))
}

/// A period's buyers: the sum of many packs, and what customer_insights says
/// of them.
#[derive(Debug, Default)]
pub struct Period {
    tallies: HashMap<CustomerId, Tally>,
}

/// The figures of a period's buyers: those with at least one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub customers: i64,
    pub repeat_customers: i64,
    pub orders: i64,
    /// The best `k` by spend (ties by id), best first.
    pub top: Vec<(CustomerId, Tally)>,
}

impl Period {
    pub fn add(&mut self, pack: &[u8]) -> Result<(), MergeError> {
        for (id, t) in read(pack).map_err(MergeError::NotBuyers)? {
            let sum = self.tallies.entry(id).or_default();
            *sum = add(*sum, t).map_err(|_| MergeError::Overflow)?;
        }
        Ok(())
    }

    pub fn summary(&self, k: usize) -> Summary {
        let buyers: Vec<(CustomerId, Tally)> =
            self.tallies.iter().filter(|(_, t)| t.orders > 0).map(|(id, t)| (*id, *t)).collect();
        let best = |a: &(CustomerId, Tally), b: &(CustomerId, Tally)| b.1.cents.cmp(&a.1.cents).then(a.0.cmp(&b.0));
        let mut top = buyers.clone();
        if top.len() > k {
            top.select_nth_unstable_by(k, best);
            top.truncate(k);
        }
        top.sort_unstable_by(best);
        Summary {
            customers: buyers.len() as i64,
            repeat_customers: buyers.iter().filter(|(_, t)| t.orders >= 2).count() as i64,
            orders: buyers.iter().map(|(_, t)| t.orders).sum(),
            top,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> CustomerId {
        let mut b = [0u8; 16];
        b[15] = n;
        b[0] = n % 3;
        b
    }

    fn t(orders: i64, cents: i64) -> Tally {
        Tally { orders, cents }
    }

    #[test]
    fn packs_add_up_per_customer_and_drop_zeros() {
        let a = pack([(id(1), t(1, 500)), (id(2), t(1, 100)), (id(1), t(1, 250))]).unwrap();
        assert_eq!(read(&a).unwrap(), {
            let mut v = vec![(id(1), t(2, 750)), (id(2), t(1, 100))];
            v.sort_by_key(|e| e.0);
            v
        });
        // A delta that takes an order away leaves customer 2 at zero: gone.
        let b = pack([(id(2), t(-1, -100)), (id(3), t(1, 50))]).unwrap();
        let m = merge(&a, &b).unwrap();
        let mut want = vec![(id(1), t(2, 750)), (id(3), t(1, 50))];
        want.sort_by_key(|e| e.0);
        assert_eq!(read(&m).unwrap(), want);
        // Equal buyers are equal bytes, however they were built.
        assert_eq!(m, pack([(id(3), t(1, 50)), (id(1), t(2, 750))]).unwrap());
        assert_eq!(merge(&m, &pack([]).unwrap()).unwrap(), m);
        assert_eq!(pack([]).unwrap(), vec![VERSION]);
    }

    #[test]
    fn malformed_packs_are_refused() {
        let good = pack([(id(1), t(1, 1)), (id(2), t(1, 1))]).unwrap();
        assert!(read(&[]).is_err());
        assert!(read(&[2]).is_err(), "unknown version");
        assert!(read(&good[..good.len() - 1]).is_err(), "truncated");
        let mut swapped = vec![VERSION];
        swapped.extend_from_slice(&good[1 + ENTRY..]);
        swapped.extend_from_slice(&good[1..1 + ENTRY]);
        assert!(read(&swapped).is_err(), "out of order");
        let mut twice = good.clone();
        twice.extend_from_slice(&good[1 + ENTRY..]);
        assert!(read(&twice).is_err(), "repeated");
        assert!(merge(&good, b"x").is_err());
        assert_eq!(
            merge(&pack([(id(1), t(0, i64::MAX))]).unwrap(), &pack([(id(1), t(0, 1))]).unwrap()),
            Err(MergeError::Overflow)
        );
    }

    #[test]
    fn a_period_sums_its_packs_and_ranks_like_sql() {
        // Two stores over two months: customer 1 buys in both stores.
        let packs = [
            pack([(id(1), t(1, 1_000)), (id(2), t(2, 3_000))]).unwrap(),
            pack([(id(1), t(1, 2_500)), (id(4), t(1, 3_500))]).unwrap(),
            pack([(id(3), t(1, 3_500)), (id(5), t(0, 0))]).unwrap(),
        ];
        let mut p = Period::default();
        for pk in &packs {
            p.add(pk).unwrap();
        }
        let s = p.summary(3);
        assert_eq!((s.customers, s.repeat_customers, s.orders), (4, 2, 6));
        // 1 spent 3,500 like 3 and 4: ties by id, ascending.
        let mut tied = [id(1), id(3), id(4)];
        tied.sort();
        assert_eq!(s.top.iter().map(|e| e.0).collect::<Vec<_>>(), tied.to_vec());
        assert_eq!(p.summary(10).top.len(), 4);
        assert_eq!(Period::default().summary(5), Summary { customers: 0, repeat_customers: 0, orders: 0, top: vec![] });
    }

    #[test]
    fn the_sum_of_random_packs_equals_a_plain_fold() {
        let mut rng = crate::rng::Rng::new(11);
        let mut plain: HashMap<CustomerId, Tally> = HashMap::new();
        let mut p = Period::default();
        let mut merged = pack([]).unwrap();
        for _ in 0..60 {
            let day: Vec<(CustomerId, Tally)> = (0..rng.below(40))
                .map(|_| (id(rng.below(200) as u8), t(1 + rng.below(3) as i64, rng.below(100_000) as i64)))
                .collect();
            for (i, x) in &day {
                let e = plain.entry(*i).or_default();
                *e = add(*e, *x).unwrap();
            }
            let pk = pack(day).unwrap();
            p.add(&pk).unwrap();
            merged = merge(&merged, &pk).unwrap();
        }
        let mut want: Vec<(CustomerId, Tally)> = plain.into_iter().collect();
        want.sort_by_key(|e| e.0);
        assert_eq!(read(&merged).unwrap(), want);
        let s = p.summary(5);
        assert_eq!(s.customers as usize, want.len());
        let mut ranked = want.clone();
        ranked.sort_by(|a, b| b.1.cents.cmp(&a.1.cents).then(a.0.cmp(&b.0)));
        assert_eq!(s.top, ranked[..5].to_vec());
    }
}
