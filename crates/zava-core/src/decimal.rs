//! Exact decimals for money and percentages, printed the way Postgres prints
//! `numeric`: the analytics answer with the same digits SQL over raw rows
//! gives. Money is summed in whole cents (every money column is
//! `numeric(…,2)`), so nothing is ever rounded through floating point.

use std::cmp::Ordering;
use std::fmt;

/// `units / 10^scale`. Two decimals are equal when their values are, whatever
/// their scales (as `numeric` compares); `Display` keeps the scale (`12.50`).
#[derive(Debug, Clone, Copy)]
pub struct Dec {
    pub units: i128,
    pub scale: u32,
}

const fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// `n / d` rounded to an integer, halves away from zero (Postgres' `round`).
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d.abs() { q + if (n < 0) == (d < 0) { 1 } else { -1 } } else { q }
}

impl Dec {
    pub const fn int(n: i64) -> Dec {
        Dec { units: n as i128, scale: 0 }
    }

    /// An amount of money in cents, shown with two decimals.
    pub const fn cents(c: i64) -> Dec {
        Dec { units: c as i128, scale: 2 }
    }

    /// `round(num / den, scale)`, or None when `den` is zero (SQL's `nullif(den, 0)`).
    pub fn ratio(num: i128, den: i128, scale: u32) -> Option<Dec> {
        (den != 0).then(|| Dec { units: div_round(num * pow10(scale), den), scale })
    }

    fn at_scale(self, scale: u32) -> i128 {
        self.units * pow10(scale - self.scale)
    }

    /// `round(100 * (self - base) / base, scale)`; None when `base` is zero.
    pub fn pct_change(self, base: Dec, scale: u32) -> Option<Dec> {
        let s = self.scale.max(base.scale);
        Dec::ratio(100 * (self.at_scale(s) - base.at_scale(s)), base.at_scale(s), scale)
    }

    /// `round(100 * self / whole, scale)`; None when `whole` is zero.
    pub fn pct_of(self, whole: Dec, scale: u32) -> Option<Dec> {
        let s = self.scale.max(whole.scale);
        Dec::ratio(100 * self.at_scale(s), whole.at_scale(s), scale)
    }

    /// For insight sentences only (display rounding), never for figures.
    pub fn to_f64(self) -> f64 {
        self.units as f64 / pow10(self.scale) as f64
    }
}

impl PartialEq for Dec {
    fn eq(&self, other: &Dec) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Dec {}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        let s = self.scale.max(other.scale);
        self.at_scale(s).cmp(&other.at_scale(s))
    }
}

/// `self - other` at the larger scale, as `numeric` subtraction.
impl std::ops::Sub for Dec {
    type Output = Dec;
    fn sub(self, other: Dec) -> Dec {
        let scale = self.scale.max(other.scale);
        Dec { units: self.at_scale(scale) - other.at_scale(scale), scale }
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let p = pow10(self.scale) as u128;
        write!(f, "{sign}{}.{:0width$}", abs / p, abs % p, width = self.scale as usize)
    }
}

/// Parses Postgres' text form of a `numeric` (`-12.50`, `3`), keeping the scale.
impl std::str::FromStr for Dec {
    type Err = String;

    fn from_str(s: &str) -> Result<Dec, String> {
        let bad = || format!("not a decimal: {s:?}");
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || frac.len() > 18 {
            return Err(bad());
        }
        let units: i128 = format!("{whole}{frac}").parse().map_err(|_| bad())?;
        Ok(Dec { units: if neg { -units } else { units }, scale: frac.len() as u32 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn prints_like_numeric() {
        assert_eq!(Dec::cents(123_450).to_string(), "1234.50");
        assert_eq!(Dec::cents(-5).to_string(), "-0.05");
        assert_eq!(Dec::int(0).to_string(), "0");
        assert_eq!(Dec::cents(0).to_string(), "0.00");
        assert_eq!(d("-12.340").to_string(), "-12.340");
        assert!("1e5".parse::<Dec>().is_err() && "".parse::<Dec>().is_err() && "1.2.3".parse::<Dec>().is_err());
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Dec::ratio(1, 8, 2).unwrap().to_string(), "0.13", "0.125");
        assert_eq!(Dec::ratio(-1, 8, 2).unwrap().to_string(), "-0.13");
        assert_eq!(Dec::ratio(2, 3, 1).unwrap().to_string(), "0.7");
        assert_eq!(Dec::ratio(1, 3, 0).unwrap().to_string(), "0");
        assert_eq!(Dec::ratio(5, 0, 2), None);
    }

    #[test]
    fn arithmetic_across_scales() {
        assert_eq!((d("10.50") - d("3")).to_string(), "7.50");
        assert_eq!(d("3") - d("10.5"), d("-7.50"));
        assert_eq!(d("110.00").pct_change(d("100"), 1).unwrap().to_string(), "10.0");
        assert_eq!(d("0").pct_change(d("0.00"), 1), None);
        assert_eq!(d("1").pct_of(d("3.00"), 2).unwrap().to_string(), "33.33");
        assert!(d("2.5") > d("2.49") && d("2.50") == d("2.5"));
    }
}
