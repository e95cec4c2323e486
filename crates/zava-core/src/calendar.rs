//! Proleptic Gregorian calendar arithmetic on day numbers.
//!
//! Days are counted from 2000-01-01 (day 0), the same epoch PostgreSQL uses for
//! `date`, so a day number converts to and from a `date` without arithmetic.

/// Day number (days since 2000-01-01) of a civil date.
pub fn day_from_civil(y: i32, m: u32, d: u32) -> i32 {
    // Howard Hinnant's days_from_civil, shifted from the Unix epoch to 2000-01-01.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - 10_957
}

/// Civil date (year, month 1-12, day 1-31) of a day number.
pub fn civil_from_day(day: i32) -> (i32, u32, u32) {
    let z = day + 10_957 + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day of week, 0 = Monday … 6 = Sunday (ISO order).
pub fn weekday(day: i32) -> u32 {
    // 2000-01-01 was a Saturday (ISO 5).
    (day + 5).rem_euclid(7) as u32
}

/// Seconds since 2000-01-01 00:00 of a wall-clock time on a day.
pub fn wall_seconds(day: i32, secs_of_day: u32) -> i64 {
    day as i64 * 86_400 + secs_of_day as i64
}

/// Seconds between the Unix epoch and 2000-01-01.
pub const UNIX_TO_2000: i64 = 946_684_800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(day_from_civil(2000, 1, 1), 0);
        assert_eq!(day_from_civil(2020, 1, 1), 7305);
        assert_eq!(civil_from_day(7305), (2020, 1, 1));
        assert_eq!(civil_from_day(day_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(day_from_civil(2024, 3, 1) - day_from_civil(2024, 2, 28), 2);
        assert_eq!(weekday(day_from_civil(2026, 11, 23)), 0, "2026-11-23 is a Monday");
        assert_eq!(weekday(0), 5, "2000-01-01 is a Saturday");
    }

    #[test]
    fn round_trip_over_decades() {
        for day in -20_000..40_000 {
            let (y, m, d) = civil_from_day(day);
            assert_eq!(day_from_civil(y, m, d), day);
        }
    }
}
