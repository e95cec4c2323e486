//! Property tests (proptest) for the parsers that take text or bytes from
//! outside: periods and dates, setting values, the gate's format-string and
//! decimal checks, packed buyers and customer sets. Whatever the input: no
//! panic, and every accepted value means exactly what it says.

use proptest::prelude::*;
use zava_core::analytics::{self, CompareTo, FIRST_DAY, LAST_DAY, PERIODS, Range};
use zava_core::calendar::{civil_from_day, day_from_civil};
use zava_core::login_limits::{self, Unit};
use zava_core::{buyers, customer_sets, gate};

fn first_day() -> i32 {
    day_from_civil(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2)
}
fn last_day() -> i32 {
    day_from_civil(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2)
}

/// Text shaped like a period or a date, with the usual mistakes.
fn period_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9+ -]{0,5}-[0-9+ -]{0,3}-[0-9+ -]{0,3}(\\.\\.)?[0-9+ -]{0,5}-[0-9+ -]{0,3}-[0-9+ -]{0,3}",
        "[\\[(]?[0-9]{4}-[0-9]{2}-[0-9]{2}[,.]{1,2}[0-9]{4}-[0-9]{2}-[0-9]{2}[\\])]?",
        prop::sample::select(PERIODS.to_vec()).prop_map(|p| format!(" {p} ")),
        "[a-z_]{0,14}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn any_period_text_is_a_sane_range_or_an_error(text in period_like(), as_of in first_day() + 800..last_day() - 800) {
        match analytics::resolve(&text, as_of) {
            Ok(r) => {
                prop_assert!(r.start < r.end, "{text:?} → {r:?}");
                prop_assert!(r.start >= first_day() && r.end <= last_day() + 1, "{text:?} → {r:?}");
                for compare in [CompareTo::PreviousPeriod, CompareTo::PreviousYear] {
                    prop_assert!(analytics::resolve_compared(&text, as_of, compare).is_ok());
                }
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    #[test]
    fn dates_are_read_exactly_as_written(s in "[0-9+ -]{4}-[0-9+ -]{2}-[0-9+ -]{2}|\\PC{0,12}") {
        // Accepted only in the form iso_date writes, and then it is that day.
        if let Some(day) = analytics::parse_date(&s) {
            prop_assert_eq!(analytics::iso_date(day), s);
        }
    }

    #[test]
    fn every_real_date_reads_back(day in first_day()..last_day()) {
        let text = analytics::iso_date(day);
        prop_assert_eq!(analytics::parse_date(&text), Some(day));
        let (y, m, d) = civil_from_day(day);
        prop_assert_eq!(day_from_civil(y, m, d), day);
    }

    #[test]
    fn explicit_ranges_are_inclusive_dates(a in first_day() + 400..last_day() - 400, len in 0..400i32) {
        let text = format!("{}..{}", analytics::iso_date(a), analytics::iso_date(a + len));
        prop_assert_eq!(analytics::resolve(&text, a), Ok(Range { start: a, end: a + len + 1 }));
        let half_open = format!("[{},{})", analytics::iso_date(a), analytics::iso_date(a + len + 1));
        prop_assert_eq!(analytics::resolve(&half_open, a), Ok(Range { start: a, end: a + len + 1 }));
    }

    #[test]
    fn comparisons_are_exactly_the_two_names(text in prop::option::of("\\PC{0,20}")) {
        match CompareTo::parse(text.as_deref()) {
            Ok(c) => prop_assert!(text.as_deref().is_none_or(|t| t.trim() == c.name())),
            Err(e) => prop_assert!(e.contains("unknown comparison")),
        }
    }

    #[test]
    fn setting_values_never_panic(text in "[0-9.+-]{0,12}[a-zA-Z ]{0,4}|\\PC{0,16}") {
        for unit in [Unit::Milliseconds, Unit::Kilobytes] {
            let _ = login_limits::parse_value(unit, &text);
        }
    }

    #[test]
    fn whole_numbers_of_a_unit_read_exactly(n in 0i64..1_000_000_000) {
        prop_assert_eq!(login_limits::parse_value(Unit::Milliseconds, &format!("{n}ms")), Some(n));
        prop_assert_eq!(login_limits::parse_value(Unit::Milliseconds, &format!("{n}s")), Some(n * 1000));
        prop_assert_eq!(login_limits::parse_value(Unit::Kilobytes, &format!("{n}kB")), Some(n));
        prop_assert_eq!(login_limits::parse_value(Unit::Kilobytes, &format!("{n}MB")), Some(n * 1024));
    }

    #[test]
    fn format_strings_with_a_width_or_flag_are_refused(f in "[a-z %0-9$sIL*-]{0,16}") {
        if gate::check_format_string(&f).is_ok() {
            // Every % starts %%, or %[n$] followed by s, I or L.
            let mut rest = f.as_str();
            while let Some(i) = rest.find('%') {
                let after = &rest[i + 1..];
                let spec = after.trim_start_matches(|c: char| c.is_ascii_digit());
                let spec = if spec.len() < after.len() { spec.strip_prefix('$').unwrap_or("!") } else { spec };
                if let Some(escaped) = after.strip_prefix('%') {
                    rest = escaped;
                    continue;
                }
                prop_assert!(spec.starts_with(['s', 'I', 'L']), "accepted {f:?}");
                rest = &spec[1..];
            }
        }
    }

    #[test]
    fn exact_decimals_are_exact(text in "-?[0-9]{1,20}(\\.[0-9]{1,20})?|\\PC{0,24}") {
        if let Some(x) = gate::exact_decimal(&text) {
            prop_assert!(x.is_finite());
            let back: f64 = text.trim().parse().expect("a decimal accepted as exact is a number");
            prop_assert_eq!(x, back);
        }
    }

    #[test]
    fn packed_buyers_from_any_bytes_are_refused_or_read(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(read) = buyers::read(&bytes) {
            prop_assert!(read.windows(2).all(|w| w[0].0 < w[1].0), "customers in order, each once");
        }
        let _ = customer_sets::read(&bytes);
    }

    #[test]
    fn packed_buyers_round_trip(tallies in prop::collection::vec((any::<[u8; 16]>(), 0..1000i64, 0..10_000_000i64), 0..50)) {
        let items: Vec<_> = tallies.iter().map(|&(id, orders, cents)| (id, buyers::Tally { orders, cents })).collect();
        let packed = buyers::pack(items.clone()).expect("no overflow at these sizes");
        let read = buyers::read(&packed).expect("what pack writes, read reads");
        let mut expected = std::collections::BTreeMap::<[u8; 16], buyers::Tally>::new();
        for (id, t) in items {
            let e = expected.entry(id).or_default();
            e.orders += t.orders;
            e.cents += t.cents;
        }
        prop_assert_eq!(read, expected.into_iter().collect::<Vec<_>>());
    }
}
