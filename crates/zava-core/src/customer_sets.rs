//! Sets of customers as compressed bitmaps (Roaring), for exact distinct
//! counts from rollups: each customer has a dense number (`customers.customer_no`),
//! each (store, day) keeps the set of numbers that ordered, and a period's
//! unique customers is the size of the union of its days' sets — exact, and
//! its cost grows with days, not orders.
//!
//! The stored form is Roaring's portable serialisation of an optimised bitmap
//! (run containers where they are smaller), so equal sets are equal bytes.

use std::fmt;

use roaring::{MultiOps, RoaringBitmap};

/// Bytes that are not a serialised customer set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotASet(pub String);

impl fmt::Display for NotASet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a customer set: {}", self.0)
    }
}

impl std::error::Error for NotASet {}

/// A number that cannot be a customer's (numbers start at 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadNumber(pub i64);

impl fmt::Display for BadNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "customer numbers are positive integers (got {})", self.0)
    }
}

impl std::error::Error for BadNumber {}

fn write(mut set: RoaringBitmap) -> Vec<u8> {
    set.optimize();
    let mut out = Vec::with_capacity(set.serialized_size());
    set.serialize_into(&mut out).expect("writing into a Vec cannot fail");
    out
}

/// Reads a stored set. Trailing bytes, truncation and malformed containers are
/// errors, never a partial set.
pub fn read(bytes: &[u8]) -> Result<RoaringBitmap, NotASet> {
    let set = RoaringBitmap::deserialize_from(bytes).map_err(|e| NotASet(e.to_string()))?;
    if set.serialized_size() != bytes.len() {
        return Err(NotASet(format!("{} bytes, of which the set uses {}", bytes.len(), set.serialized_size())));
    }
    Ok(set)
}

/// The set of the given customer numbers (duplicates are one member).
pub fn from_numbers(numbers: impl IntoIterator<Item = i64>) -> Result<Vec<u8>, BadNumber> {
    let mut set = RoaringBitmap::new();
    for n in numbers {
        let member = u32::try_from(n).ok().filter(|&m| m > 0).ok_or(BadNumber(n))?;
        set.insert(member);
    }
    Ok(write(set))
}

/// The union of two stored sets, stored.
pub fn union(a: &[u8], b: &[u8]) -> Result<Vec<u8>, NotASet> {
    let mut set = read(a)?;
    set |= read(b)?;
    Ok(write(set))
}

// Roaring's multi-way union: containers are widened to bitmaps once and
// merged in place, where a fold of pairwise `|=` re-merges sorted arrays
// for every set (store_performance, head office, a quarter: 24 sets).
fn union_of<'a>(sets: impl IntoIterator<Item = &'a [u8]>) -> Result<RoaringBitmap, NotASet> {
    sets.into_iter().map(read).union()
}

/// The union of stored sets, stored (the empty set for none).
pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, NotASet> {
    union_of(sets).map(write)
}

/// The number of distinct customers in the union of stored sets.
pub fn union_count<'a>(sets: impl IntoIterator<Item = &'a [u8]>) -> Result<u64, NotASet> {
    Ok(union_of(sets)?.len())
}

/// The members of a stored set, ascending.
pub fn numbers(bytes: &[u8]) -> Result<Vec<u32>, NotASet> {
    Ok(read(bytes)?.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_count_each_customer_once() {
        let a = from_numbers([3, 1, 2, 3]).unwrap();
        let b = from_numbers([2, 4, 100_000]).unwrap();
        assert_eq!(numbers(&a).unwrap(), vec![1, 2, 3]);
        assert_eq!(union_count([a.as_slice(), b.as_slice()]).unwrap(), 5);
        assert_eq!(numbers(&union(&a, &b).unwrap()).unwrap(), vec![1, 2, 3, 4, 100_000]);
        assert_eq!(union_count(std::iter::empty()).unwrap(), 0);
        let all = union_all([a.as_slice(), b.as_slice(), a.as_slice()]).unwrap();
        assert_eq!(all, union(&a, &b).unwrap());
        assert_eq!(numbers(&union_all(std::iter::empty()).unwrap()).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn equal_sets_are_equal_bytes() {
        // Built in different orders, and one of them through a union: a long run
        // (stored as a run container once optimised) and scattered members.
        let run: Vec<i64> = (1..=5_000).chain([70_001, 90_000]).collect();
        let forward = from_numbers(run.iter().copied()).unwrap();
        let backward = from_numbers(run.iter().rev().copied()).unwrap();
        let halves = union(
            &from_numbers(run[..2_500].iter().copied()).unwrap(),
            &from_numbers(run[2_500..].iter().copied()).unwrap(),
        )
        .unwrap();
        assert_eq!(forward, backward);
        assert_eq!(forward, halves);
        assert!(forward.len() < 100, "a run of 5,000 numbers is stored as a run ({} bytes)", forward.len());
    }

    #[test]
    fn numbers_outside_the_range_are_refused() {
        assert_eq!(from_numbers([1, 0]), Err(BadNumber(0)));
        assert_eq!(from_numbers([-5]), Err(BadNumber(-5)));
        assert_eq!(from_numbers([i64::from(u32::MAX) + 1]), Err(BadNumber(i64::from(u32::MAX) + 1)));
        assert!(from_numbers([i64::from(u32::MAX)]).is_ok());
    }

    #[test]
    fn malformed_bytes_are_refused_not_read_in_part() {
        let good = from_numbers([1, 2, 3, 1_000_000]).unwrap();
        assert!(read(&good).is_ok());
        assert!(read(&[]).is_err());
        assert!(read(b"not a bitmap").is_err());
        assert!(read(&good[..good.len() - 1]).is_err(), "truncated");
        let mut longer = good.clone();
        longer.push(0);
        assert!(read(&longer).is_err(), "trailing bytes");
        assert!(union(&good, b"xx").is_err());
        assert!(union_count([good.as_slice(), b"\x00".as_slice()]).is_err());
    }

    #[test]
    fn union_count_matches_a_plain_distinct_count() {
        // Many small sets over a large range, as days of a busy store would be.
        let mut rng = crate::rng::Rng::new(7);
        let mut all = std::collections::BTreeSet::new();
        let mut sets = Vec::new();
        for _ in 0..200 {
            let day: Vec<i64> = (0..rng.below(60)).map(|_| 1 + rng.below(250_000) as i64).collect();
            all.extend(day.iter().copied());
            sets.push(from_numbers(day).unwrap());
        }
        assert_eq!(union_count(sets.iter().map(Vec::as_slice)).unwrap(), all.len() as u64);
    }
}
