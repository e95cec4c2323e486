//! Analytics arithmetic that needs no database: periods relative to an as-of
//! date, the previous period of equal length, and the rules that turn figures
//! into short insight sentences.
//!
//! Days are business days (America/Los_Angeles) as day numbers since
//! 2000-01-01; a period is the half-open range `[start, end)`.

use crate::calendar::{civil_from_day, day_from_civil};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: i32,
    /// Exclusive.
    pub end: i32,
}

impl Range {
    pub fn days(&self) -> i32 {
        self.end - self.start
    }

    /// The period of equal length that ends where this one starts.
    pub fn previous(&self) -> Range {
        Range { start: self.start - self.days(), end: self.start }
    }

    /// How the period reads the rollups (as `zava.period_months` in SQL):
    /// the whole calendar months `[m1, m2)` inside it come from the monthly
    /// rollups, the days `[start, m1)` and `[m2, end)` from the daily ones.
    /// With no whole month inside, `m1 = m2 = end`.
    pub fn months(&self) -> (i32, i32) {
        let (y, m, d) = civil_from_day(self.start);
        let first = if d == 1 {
            self.start
        } else if m == 12 {
            day_from_civil(y + 1, 1, 1)
        } else {
            day_from_civil(y, m + 1, 1)
        };
        let (y, m, _) = civil_from_day(self.end);
        let last = day_from_civil(y, m, 1);
        if first < last { (first, last) } else { (self.end, self.end) }
    }
}

/// Named periods, relative to the as-of date (which counts as a full day).
pub const PERIODS: [&str; 9] = [
    "today",
    "last_7_days",
    "last_30_days",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "ytd",
    "last_year",
];

pub fn period_error(period: &str) -> String {
    format!(
        "unknown period \"{period}\"; use one of {}, or explicit dates as 'YYYY-MM-DD..YYYY-MM-DD' (inclusive) or a daterange '[YYYY-MM-DD,YYYY-MM-DD)'",
        PERIODS.join(", ")
    )
}

fn quarter_start(y: i32, m: u32) -> i32 {
    day_from_civil(y, (m - 1) / 3 * 3 + 1, 1)
}

/// Resolves a period name or explicit range against `as_of`.
pub fn resolve(period: &str, as_of: i32) -> Result<Range, String> {
    let (y, m, _) = civil_from_day(as_of);
    let tomorrow = as_of + 1;
    let r = match period.trim() {
        "today" => Range { start: as_of, end: tomorrow },
        "last_7_days" => Range { start: as_of - 6, end: tomorrow },
        "last_30_days" => Range { start: as_of - 29, end: tomorrow },
        "this_month" => Range { start: day_from_civil(y, m, 1), end: tomorrow },
        "last_month" => {
            let first = day_from_civil(y, m, 1);
            let (py, pm, _) = civil_from_day(first - 1);
            Range { start: day_from_civil(py, pm, 1), end: first }
        }
        "this_quarter" => Range { start: quarter_start(y, m), end: tomorrow },
        "last_quarter" => {
            let this = quarter_start(y, m);
            let (py, pm, _) = civil_from_day(this - 1);
            Range { start: quarter_start(py, pm), end: this }
        }
        "ytd" => Range { start: day_from_civil(y, 1, 1), end: tomorrow },
        "last_year" => Range { start: day_from_civil(y - 1, 1, 1), end: day_from_civil(y, 1, 1) },
        other => explicit(other).ok_or_else(|| period_error(other))?,
    };
    if !within_sane_dates(r) || !within_sane_dates(r.previous()) {
        return Err(insane_dates());
    }
    Ok(r)
}

/// The dates any period, and the period it is compared with, must lie in:
/// far enough from Postgres' date limits that no arithmetic on them can leave
/// the calendar, wide enough for any retail history.
pub const FIRST_DAY: (i32, u32, u32) = (1900, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2199, 12, 31);

fn within_sane_dates(r: Range) -> bool {
    r.start >= day_from_civil(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2)
        && r.end <= day_from_civil(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2) + 1
}

/// What a period is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareTo {
    /// The period of equal length that ends where this one starts.
    PreviousPeriod,
    /// The same dates a year earlier (29 February becomes the 28th).
    PreviousYear,
}

impl CompareTo {
    /// `None` means the default, `previous_period`, for every kind of period:
    /// it is what every release before 0.5.0 answered.
    pub fn parse(text: Option<&str>) -> Result<CompareTo, String> {
        match text.map(str::trim) {
            None | Some("previous_period") => Ok(CompareTo::PreviousPeriod),
            Some("previous_year") => Ok(CompareTo::PreviousYear),
            Some(other) => Err(format!("unknown comparison \"{other}\"; use previous_period or previous_year")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CompareTo::PreviousPeriod => "previous_period",
            CompareTo::PreviousYear => "previous_year",
        }
    }
}

/// The same day a year earlier; 29 February becomes the 28th.
pub fn year_earlier(day: i32) -> i32 {
    let (y, m, d) = civil_from_day(day);
    let d = if m == 2 && d == 29 { 28 } else { d };
    day_from_civil(y - 1, m, d)
}

/// A period, the period it is compared with, and how insights name that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    pub current: Range,
    pub compare: Range,
    pub compare_to: CompareTo,
    pub label: String,
}

/// Resolves a period and its comparison against `as_of`. Errors name the
/// valid periods, comparisons, or the sane date range.
pub fn resolve_compared(period: &str, as_of: i32, compare_to: CompareTo) -> Result<Periods, String> {
    let current = resolve(period, as_of)?;
    let (compare, label) = match compare_to {
        CompareTo::PreviousPeriod => (current.previous(), previous_label(current)),
        CompareTo::PreviousYear => {
            let r = Range { start: year_earlier(current.start), end: year_earlier(current.end) };
            (r, name_of(r))
        }
    };
    if !within_sane_dates(compare) {
        return Err(insane_dates());
    }
    Ok(Periods { current, compare, compare_to, label })
}

fn insane_dates() -> String {
    let (a, b) = (FIRST_DAY, LAST_DAY);
    format!(
        "periods, and the periods they are compared with, must lie between {:04}-{:02}-{:02} and {:04}-{:02}-{:02}",
        a.0, a.1, a.2, b.0, b.1, b.2
    )
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How a comparison period is named: "Q3 2025", "June 2025", "2025", or its
/// dates ("2025-10-25..2025-11-23", inclusive).
pub fn name_of(r: Range) -> String {
    let (y, m, d) = civil_from_day(r.start);
    let (ey, em, ed) = civil_from_day(r.end);
    if d == 1 && ed == 1 {
        let months = (ey - y) * 12 + em as i32 - m as i32;
        if months == 12 && m == 1 {
            return y.to_string();
        }
        if months == 3 && (m - 1) % 3 == 0 {
            return format!("Q{} {y}", (m - 1) / 3 + 1);
        }
        if months == 1 {
            return format!("{} {y}", MONTHS[m as usize - 1]);
        }
    }
    format!("{}..{}", iso_date(r.start), iso_date(r.end - 1))
}

/// `YYYY-MM-DD` of a day number.
pub fn iso_date(day: i32) -> String {
    let (y, m, d) = civil_from_day(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD..YYYY-MM-DD` (inclusive) or a canonical daterange `[a,b)`.
fn explicit(text: &str) -> Option<Range> {
    if let Some((a, b)) = text.split_once("..") {
        let (start, last) = (parse_date(a.trim())?, parse_date(b.trim())?);
        return (start <= last).then_some(Range { start, end: last + 1 });
    }
    let inner = text.strip_prefix('[')?;
    let (a, b) = inner.split_once(',')?;
    let (b, end_inclusive) = match (b.strip_suffix(')'), b.strip_suffix(']')) {
        (Some(b), _) => (b, false),
        (None, Some(b)) => (b, true),
        _ => return None,
    };
    let start = parse_date(a.trim())?;
    let end = parse_date(b.trim())? + i32::from(end_inclusive);
    (start < end).then_some(Range { start, end })
}

/// A valid `YYYY-MM-DD` date as a day number.
pub fn parse_date(s: &str) -> Option<i32> {
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    // Digits only: `parse` alone would also take a sign ("2024-+1-+5").
    if it.next().is_some() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let day = day_from_civil(y, m, d);
    (civil_from_day(day) == (y, m, d)).then_some(day)
}

/// "the previous 30 days", "the previous day": how insights name the comparison.
pub fn previous_label(r: Range) -> String {
    match r.days() {
        1 => "the previous day".to_string(),
        n => format!("the previous {n} days"),
    }
}

/// The additive figures of one period (money in dollars).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub revenue: f64,
    pub orders: i64,
    pub units: i64,
    pub gross: f64,
    pub discounts: f64,
    pub cost: f64,
}

impl Figures {
    pub fn aov(&self) -> Option<f64> {
        (self.orders > 0).then(|| self.revenue / self.orders as f64)
    }

    pub fn margin_pct(&self) -> Option<f64> {
        (self.revenue > 0.0).then(|| 100.0 * (self.revenue - self.cost) / self.revenue)
    }

    pub fn discount_pct(&self) -> Option<f64> {
        (self.gross > 0.0).then(|| 100.0 * self.discounts / self.gross)
    }
}

/// A category's revenue now and in the previous period.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRevenue {
    pub name: String,
    pub current: f64,
    pub previous: f64,
}

/// Percentage change, or None when the base is zero.
pub fn change_pct(current: f64, previous: f64) -> Option<f64> {
    (previous != 0.0).then(|| 100.0 * (current - previous) / previous)
}

pub fn money(x: f64) -> String {
    let cents = (x * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 { ("-", -cents) } else { ("", cents) };
    // From $1,000 up, whole dollars (rounded); below, dollars and cents.
    let whole = cents >= 100_000;
    let dollars = if whole { (cents + 50) / 100 } else { cents / 100 }.to_string();
    let mut grouped = String::new();
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if whole { format!("{sign}${grouped}") } else { format!("{sign}${grouped}.{:02}", cents % 100) }
}

fn signed_pct(p: f64) -> String {
    let r = p.round();
    if r > 0.0 {
        format!("+{r:.0}%")
    } else if r < 0.0 {
        format!("\u{2212}{:.0}%", -r)
    } else {
        "0%".to_string()
    }
}

/// Insight sentences, most important first. The rules:
/// 1. no completed sales → say so (and what the previous period had);
/// 2. revenue change vs the previous period, with the category that drove it
///    when the change is at least 5% (largest change in the same direction);
/// 3. average order value change of at least 5%;
/// 4. gross margin change of at least 1 percentage point;
/// 5. discounts at 10% of gross sales or more;
/// 6. the largest category's share of revenue.
pub fn insights(cur: &Figures, prev: &Figures, categories: &[CategoryRevenue], previous: &str) -> Vec<String> {
    let mut out = Vec::new();
    if cur.orders == 0 {
        out.push(if prev.orders > 0 {
            format!("No completed sales in this period, down from {} orders in {previous}.", prev.orders)
        } else {
            "No completed sales in this period.".to_string()
        });
        return out;
    }
    match change_pct(cur.revenue, prev.revenue) {
        Some(p) => {
            let mut s =
                format!("Revenue {} vs {previous} ({} vs {})", signed_pct(p), money(cur.revenue), money(prev.revenue));
            if p.abs() >= 5.0 {
                let total_delta = cur.revenue - prev.revenue;
                let driver = categories
                    .iter()
                    .filter(|c| (c.current - c.previous) * total_delta > 0.0)
                    .max_by(|a, b| (a.current - a.previous).abs().total_cmp(&(b.current - b.previous).abs()));
                if let Some(c) = driver {
                    match change_pct(c.current, c.previous) {
                        Some(cp) => s.push_str(&format!(", mostly {} ({})", c.name, signed_pct(cp))),
                        None => s.push_str(&format!(", mostly {} (new)", c.name)),
                    }
                }
            }
            s.push('.');
            out.push(s);
        }
        None => out.push(format!("Revenue {}; no completed sales in {previous}.", money(cur.revenue))),
    }
    if let (Some(a), Some(b)) = (cur.aov(), prev.aov())
        && let Some(p) = change_pct(a, b).filter(|p| p.abs() >= 5.0)
    {
        out.push(format!(
            "Average order value {} to {} ({}).",
            if p > 0.0 { "rose" } else { "fell" },
            money(a),
            signed_pct(p)
        ));
    }
    if let (Some(a), Some(b)) = (cur.margin_pct(), prev.margin_pct())
        && (a - b).abs() >= 1.0
    {
        out.push(format!("Gross margin {} to {a:.1}% (from {b:.1}%).", if a > b { "rose" } else { "fell" }));
    }
    if let Some(d) = cur.discount_pct().filter(|d| *d >= 10.0) {
        out.push(format!("Discounts were {d:.1}% of gross sales."));
    }
    if let Some(top) = categories.iter().max_by(|a, b| a.current.total_cmp(&b.current)).filter(|c| c.current > 0.0) {
        out.push(format!("{} made up {:.0}% of revenue.", top.name, 100.0 * top.current / cur.revenue));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> i32 {
        day_from_civil(y, m, dd)
    }

    #[test]
    fn named_periods() {
        let as_of = d(2024, 3, 15);
        let cases = [
            ("today", d(2024, 3, 15), d(2024, 3, 16)),
            ("last_7_days", d(2024, 3, 9), d(2024, 3, 16)),
            ("last_30_days", d(2024, 2, 15), d(2024, 3, 16)),
            ("this_month", d(2024, 3, 1), d(2024, 3, 16)),
            ("last_month", d(2024, 2, 1), d(2024, 3, 1)),
            ("this_quarter", d(2024, 1, 1), d(2024, 3, 16)),
            ("last_quarter", d(2023, 10, 1), d(2024, 1, 1)),
            ("ytd", d(2024, 1, 1), d(2024, 3, 16)),
            ("last_year", d(2023, 1, 1), d(2024, 1, 1)),
        ];
        for (p, start, end) in cases {
            assert_eq!(resolve(p, as_of).unwrap(), Range { start, end }, "{p}");
        }
        assert_eq!(resolve("last_month", as_of).unwrap().days(), 29, "February 2024 is a leap month");
    }

    #[test]
    fn periods_across_year_boundaries() {
        let jan = d(2025, 1, 10);
        assert_eq!(resolve("last_month", jan).unwrap(), Range { start: d(2024, 12, 1), end: d(2025, 1, 1) });
        assert_eq!(resolve("last_quarter", jan).unwrap(), Range { start: d(2024, 10, 1), end: d(2025, 1, 1) });
        assert_eq!(resolve("last_7_days", d(2025, 1, 3)).unwrap().start, d(2024, 12, 28));
        let prev = resolve("last_30_days", jan).unwrap().previous();
        assert_eq!((prev.start, prev.end), (d(2024, 11, 12), d(2024, 12, 12)));
    }

    #[test]
    fn dates_are_digits_only() {
        assert_eq!(parse_date("2024-01-05"), Some(d(2024, 1, 5)));
        for bad in ["2024-+1-+5", "+024-01-05", "2024-1-05", "2024-01-5 ", "２０２４-01-05"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn explicit_periods() {
        assert_eq!(resolve("2024-02-28..2024-03-01", 0).unwrap(), Range { start: d(2024, 2, 28), end: d(2024, 3, 2) });
        assert_eq!(resolve("[2024-01-01,2024-04-01)", 0).unwrap(), Range { start: d(2024, 1, 1), end: d(2024, 4, 1) });
        assert_eq!(resolve("[2024-01-01,2024-01-31]", 0).unwrap().days(), 31);
        for bad in [
            "yesterday",
            "2024-02-30..2024-03-01",
            "2024-03-01..2024-02-01",
            "[2024-01-01,2024-01-01)",
            "2024-1-1..2024-02-01",
            "",
        ] {
            let e = resolve(bad, d(2024, 1, 1)).unwrap_err();
            assert!(e.contains("last_30_days"), "{bad}: {e}");
        }
        assert_eq!(parse_date("2024-02-29"), Some(d(2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
    }

    #[test]
    fn whole_months_of_a_period() {
        let r = |a: (i32, u32, u32), b: (i32, u32, u32)| Range { start: d(a.0, a.1, a.2), end: d(b.0, b.1, b.2) };
        // A quarter is three whole months; no days left over.
        assert_eq!(r((2024, 1, 1), (2024, 4, 1)).months(), (d(2024, 1, 1), d(2024, 4, 1)));
        // Partial months at both ends (the example of zava.period_months' docs).
        assert_eq!(r((2024, 2, 10), (2024, 5, 20)).months(), (d(2024, 3, 1), d(2024, 5, 1)));
        // Across a year boundary, starting in December.
        assert_eq!(r((2023, 12, 15), (2024, 3, 1)).months(), (d(2024, 1, 1), d(2024, 3, 1)));
        // No whole month inside: every day from the daily rollups.
        assert_eq!(r((2024, 6, 1), (2024, 6, 30)).months(), (d(2024, 6, 30), d(2024, 6, 30)));
        assert_eq!(r((2024, 5, 2), (2024, 6, 1)).months(), (d(2024, 6, 1), d(2024, 6, 1)));
        assert_eq!(r((2024, 1, 15), (2024, 2, 15)).months(), (d(2024, 2, 15), d(2024, 2, 15)));
        // A one-month period starting on the 1st.
        assert_eq!(r((2024, 2, 1), (2024, 3, 1)).months(), (d(2024, 2, 1), d(2024, 3, 1)));
    }

    #[test]
    fn year_over_year_comparisons() {
        let as_of = d(2025, 11, 23);
        let q = resolve_compared("last_quarter", as_of, CompareTo::PreviousYear).unwrap();
        assert_eq!(q.compare, Range { start: d(2024, 7, 1), end: d(2024, 10, 1) });
        assert_eq!(q.label, "Q3 2024");
        let m = resolve_compared("last_month", as_of, CompareTo::PreviousYear).unwrap();
        assert_eq!(m.label, "October 2024");
        let y = resolve_compared("last_year", as_of, CompareTo::PreviousYear).unwrap();
        assert_eq!((y.compare.days(), y.label.as_str()), (365, "2023"));
        let w = resolve_compared("last_7_days", as_of, CompareTo::PreviousYear).unwrap();
        assert_eq!(w.label, "2024-11-17..2024-11-23");
        let leap = resolve_compared("2024-02-29..2024-02-29", as_of, CompareTo::PreviousYear).unwrap();
        assert_eq!(leap.compare, Range { start: d(2023, 2, 28), end: d(2023, 3, 1) });
        let prev = resolve_compared("last_30_days", as_of, CompareTo::PreviousPeriod).unwrap();
        assert_eq!((prev.compare, prev.label.as_str()), (prev.current.previous(), "the previous 30 days"));
        assert_eq!(CompareTo::parse(None), Ok(CompareTo::PreviousPeriod));
        assert_eq!(CompareTo::parse(Some("previous_year")), Ok(CompareTo::PreviousYear));
        assert!(CompareTo::parse(Some("last_year")).unwrap_err().contains("previous_period or previous_year"));
    }

    #[test]
    fn periods_stay_within_sane_dates() {
        for bad in ["0000-01-01..9999-12-31", "1900-01-01..1900-01-31", "2199-12-01..2200-01-01"] {
            let e = resolve(bad, d(2024, 1, 1)).unwrap_err();
            assert!(e.contains("between 1900-01-01 and 2199-12-31"), "{bad}: {e}");
        }
        assert!(resolve("1900-02-01..1900-02-28", d(2024, 1, 1)).is_ok());
        assert!(resolve("today", d(5000, 1, 1)).is_err());
        let e = resolve_compared("1900-06-01..1900-06-30", 0, CompareTo::PreviousYear).unwrap_err();
        assert!(e.contains("compared"), "{e}");
    }

    #[test]
    fn money_and_percentages() {
        assert_eq!(money(1234567.891), "$1,234,568");
        assert_eq!(money(999.5), "$999.50");
        assert_eq!(money(-12.0), "-$12.00");
        assert_eq!(signed_pct(-12.4), "\u{2212}12%");
        assert_eq!(signed_pct(0.2), "0%");
        assert_eq!(change_pct(5.0, 0.0), None);
    }

    #[test]
    fn insight_rules() {
        let prev = Figures {
            revenue: 100_000.0,
            orders: 1000,
            units: 3000,
            gross: 105_000.0,
            discounts: 5_000.0,
            cost: 60_000.0,
        };
        let cur = Figures {
            revenue: 88_000.0,
            orders: 1000,
            units: 2700,
            gross: 100_000.0,
            discounts: 12_000.0,
            cost: 54_000.0,
        };
        let cats = vec![
            CategoryRevenue { name: "Power Tools".into(), current: 28_000.0, previous: 40_000.0 },
            CategoryRevenue { name: "Garden & Outdoor".into(), current: 35_000.0, previous: 34_000.0 },
            CategoryRevenue { name: "Paint & Finishes".into(), current: 25_000.0, previous: 26_000.0 },
        ];
        let s = insights(&cur, &prev, &cats, "the previous 30 days");
        assert_eq!(
            s[0],
            "Revenue \u{2212}12% vs the previous 30 days ($88,000 vs $100,000), mostly Power Tools (\u{2212}30%)."
        );
        assert_eq!(s[1], "Average order value fell to $88.00 (\u{2212}12%).");
        assert_eq!(s[2], "Gross margin fell to 38.6% (from 40.0%).");
        assert_eq!(s[3], "Discounts were 12.0% of gross sales.");
        assert_eq!(s[4], "Garden & Outdoor made up 40% of revenue.");
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn insights_for_empty_and_new_periods() {
        let none = Figures::default();
        let some = Figures { revenue: 50.0, orders: 2, units: 3, gross: 50.0, discounts: 0.0, cost: 20.0 };
        assert_eq!(
            insights(&none, &some, &[], "the previous day"),
            ["No completed sales in this period, down from 2 orders in the previous day."]
        );
        assert_eq!(insights(&none, &none, &[], "x"), ["No completed sales in this period."]);
        let s = insights(&some, &none, &[], "the previous 7 days");
        assert_eq!(s[0], "Revenue $50.00; no completed sales in the previous 7 days.");
        let small = Figures { revenue: 102.0, ..some };
        let base = Figures { revenue: 100.0, ..some };
        assert_eq!(
            insights(&small, &base, &[], "p")[0],
            "Revenue +2% vs p ($102.00 vs $100.00).",
            "below 5%: no driver"
        );
    }
}
