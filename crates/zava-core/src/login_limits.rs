//! The bounds a principal's psql login runs with, and how they are enforced.
//!
//! `zava.grant_principal` gives the login role `statement_timeout`,
//! `idle_in_transaction_session_timeout`, `temp_file_limit` and `work_mem`
//! with `ALTER ROLE … SET` (`zava.principal_login_settings()`). Three of them
//! are settable by any user, so on their own they would be defaults, not
//! bounds: a login could `SET idle_in_transaction_session_timeout = 0`, hold a
//! lock and stall an administrator's `ALTER TABLE` for ever. The extension's
//! hooks therefore treat the role's own setting as a ceiling for a principal's
//! session: lower is fine, higher (or 0, "no limit") is refused, whether it came
//! from `SET`, `set_config()`, or connection options (`PGOPTIONS`), and a
//! principal may not change the role setting itself (`ALTER ROLE … SET`).
//! `temp_file_limit` needs superuser to change, so Postgres bounds it already.

/// A parameter whose role setting is a ceiling for principals' sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guarded {
    pub name: &'static str,
    /// The unit Postgres stores the value in.
    pub unit: Unit,
    /// Whether 0 means "no limit" (timeouts) rather than a value.
    pub zero_is_unlimited: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Milliseconds,
    Kilobytes,
}

/// The user-settable parameters of `zava.principal_login_settings()`.
pub const GUARDED: &[Guarded] = &[
    Guarded { name: "statement_timeout", unit: Unit::Milliseconds, zero_is_unlimited: true },
    Guarded { name: "idle_in_transaction_session_timeout", unit: Unit::Milliseconds, zero_is_unlimited: true },
    Guarded { name: "work_mem", unit: Unit::Kilobytes, zero_is_unlimited: false },
];

/// The guarded parameter called `name` (case-insensitive, as GUC names are).
pub fn guarded(name: &str) -> Option<&'static Guarded> {
    GUARDED.iter().find(|g| g.name.eq_ignore_ascii_case(name))
}

/// Parses a setting's text the way Postgres reads an integer parameter with a
/// unit (`30s`, `1min`, `1.5h`, `16MB`, `4096` in the parameter's own unit)
/// into that unit, rounded. `None` if it is not such a value.
pub fn parse_value(unit: Unit, text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match (unit, suffix.trim()) {
        (_, "") => 1.0,
        (Unit::Milliseconds, "us") => 0.001,
        (Unit::Milliseconds, "ms") => 1.0,
        (Unit::Milliseconds, "s") => 1_000.0,
        (Unit::Milliseconds, "min") => 60_000.0,
        (Unit::Milliseconds, "h") => 3_600_000.0,
        (Unit::Milliseconds, "d") => 86_400_000.0,
        (Unit::Kilobytes, "B") => 1.0 / 1024.0,
        (Unit::Kilobytes, "kB") => 1.0,
        (Unit::Kilobytes, "MB") => 1024.0,
        (Unit::Kilobytes, "GB") => 1024.0 * 1024.0,
        (Unit::Kilobytes, "TB") => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let value = (number * factor).round();
    value.is_finite().then_some(value as i64)
}

/// The ceilings in a role's `pg_db_role_setting.setconfig` entries
/// (`name=value`), for the guarded parameters only, in their units. Entries are
/// given role-wide first and then for this database, so a later entry wins.
pub fn ceilings<'a>(entries: impl IntoIterator<Item = &'a str>) -> Vec<(&'static Guarded, i64)> {
    let mut out: Vec<(&'static Guarded, i64)> = Vec::new();
    for entry in entries {
        let Some((name, value)) = entry.split_once('=') else { continue };
        let Some(g) = guarded(name) else { continue };
        let Some(v) = parse_value(g.unit, value) else { continue };
        out.retain(|(o, _)| o.name != g.name);
        // A ceiling of 0 on a timeout is "no limit": nothing to enforce.
        if !(g.zero_is_unlimited && v == 0) {
            out.push((g, v));
        }
    }
    out
}

/// `Some(message)` if the session's `current` value exceeds the ceiling.
pub fn violation(g: &Guarded, current: i64, ceiling: i64) -> Option<String> {
    exceeds(g, current, ceiling).map(|(now, bound)| {
        format!("{} is {now} in this session, above the {bound} this Zava principal's login may use", g.name)
    })
}

/// `Some(message)` if setting `g` to `value` would exceed the ceiling.
pub fn refusal_to_set(g: &Guarded, value: i64, ceiling: i64) -> Option<String> {
    exceeds(g, value, ceiling).map(|(new, bound)| {
        format!("{} may not be set to {new}: this Zava principal's login may use at most {bound}", g.name)
    })
}

/// The value and the ceiling as text, if the value exceeds the ceiling.
fn exceeds(g: &Guarded, value: i64, ceiling: i64) -> Option<(String, String)> {
    let unlimited = g.zero_is_unlimited && value == 0;
    if !unlimited && value <= ceiling {
        return None;
    }
    let show = |v: i64| match g.unit {
        Unit::Milliseconds => format!("{v}ms"),
        Unit::Kilobytes => format!("{v}kB"),
    };
    Some((if unlimited { "0 (no limit)".to_string() } else { show(value) }, show(ceiling)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_units() {
        use Unit::*;
        let cases: &[(Unit, &str, Option<i64>)] = &[
            (Milliseconds, "30s", Some(30_000)),
            (Milliseconds, "1min", Some(60_000)),
            (Milliseconds, "1.5h", Some(5_400_000)),
            (Milliseconds, "250", Some(250)),
            (Milliseconds, "0", Some(0)),
            (Milliseconds, " 2 s", Some(2_000)),
            (Milliseconds, "10 parsecs", None),
            (Kilobytes, "16MB", Some(16_384)),
            (Kilobytes, "1GB", Some(1_048_576)),
            (Kilobytes, "4096", Some(4_096)),
            (Kilobytes, "64kB", Some(64)),
            (Kilobytes, "s", None),
        ];
        for (unit, text, want) in cases {
            assert_eq!(parse_value(*unit, text), *want, "{text}");
        }
    }

    #[test]
    fn ceilings_from_role_settings() {
        let c = ceilings(["statement_timeout=30s", "search_path=x", "work_mem=16MB", "statement_timeout=10s"]);
        assert_eq!(c.len(), 2);
        assert!(c.contains(&(guarded("statement_timeout").unwrap(), 10_000)), "the later entry wins");
        assert!(c.contains(&(guarded("work_mem").unwrap(), 16_384)));
        assert!(ceilings(["idle_in_transaction_session_timeout=0"]).is_empty(), "0 is no limit");
        assert!(guarded("STATEMENT_TIMEOUT").is_some());
        assert!(guarded("temp_file_limit").is_none(), "superuser-only: Postgres bounds it");
    }

    #[test]
    fn violations() {
        let st = guarded("statement_timeout").unwrap();
        let wm = guarded("work_mem").unwrap();
        assert_eq!(violation(st, 5_000, 30_000), None, "lower is fine");
        assert_eq!(violation(st, 30_000, 30_000), None);
        assert!(violation(st, 30_001, 30_000).unwrap().contains("30001ms"));
        assert!(violation(st, 0, 30_000).unwrap().contains("no limit"));
        assert_eq!(violation(wm, 0, 16_384), None, "work_mem has no 'unlimited' 0 (Postgres refuses 0 anyway)");
        assert!(violation(wm, 1 << 20, 16_384).is_some());
        assert!(refusal_to_set(st, 0, 30_000).unwrap().contains("may not be set to 0 (no limit)"));
        assert_eq!(refusal_to_set(st, 1_000, 30_000), None);
    }
}
