//! The query gate's policy: which functions and relations an untrusted query may
//! touch. Pure decisions over names; `zava_pg_ext::query_gate` walks the analysed
//! query tree and asks these functions about every function, operator, cast,
//! type and relation it finds.
//!
//! The rule is an allow-list, never a deny-list: a function called by name must
//! be one of `CALLABLE` (in `pg_catalog`) or one of Zava's own identity readers.
//! Functions reached implicitly — operators and casts between built-in types —
//! must be built in (`pg_catalog`) and not volatile. pgvector's functions and
//! operators are allowed when not volatile (distance ordering for search).

/// How the query reaches a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// `f(x)` or SQL syntax that stands for a call (`EXTRACT`, `SUBSTRING … FROM`, `AT TIME ZONE`).
    Call,
    Aggregate,
    Window,
    /// The function behind an operator (`a + b`, `a LIKE b`, `a = ANY (…)`).
    Operator,
    /// The function behind a cast (`x::numeric`).
    Cast,
}

/// What the gate knows about a function.
#[derive(Debug, Clone, Copy)]
pub struct Function<'a> {
    pub name: &'a str,
    pub schema: &'a str,
    /// `pg_proc.provolatile`: 'i', 's' or 'v'.
    pub volatility: u8,
    /// The extension the function belongs to, if any.
    pub extension: Option<&'a str>,
}

/// Functions an untrusted query may call by name (all in `pg_catalog`).
/// Deliberately absent: anything that touches files, large objects, sessions,
/// settings, locks, sequences, other backends, dynamic SQL (`query_to_xml`),
/// sleeping, or memory bombs (`repeat`, `lpad` to huge widths are capped by
/// nothing, so `repeat` is out).
pub const CALLABLE: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "bool_and",
    "bool_or",
    "every",
    "string_agg",
    "array_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "regr_intercept",
    "regr_r2",
    "regr_count",
    // window functions
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    // numbers
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "trunc",
    "sign",
    "sqrt",
    "cbrt",
    "power",
    "pow",
    "exp",
    "ln",
    "log",
    "log10",
    "mod",
    "div",
    "width_bucket",
    "pi",
    "degrees",
    "radians",
    "scale",
    "num_nonnulls",
    "num_nulls",
    // text
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "lower",
    "upper",
    "initcap",
    "btrim",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "left",
    "right",
    "replace",
    "split_part",
    "strpos",
    "position",
    "concat",
    "concat_ws",
    "format",
    "reverse",
    "starts_with",
    "regexp_replace",
    "regexp_match",
    "regexp_matches",
    "regexp_split_to_array",
    "md5",
    "to_char",
    "to_number",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "translate",
    "ascii",
    "chr",
    "overlay",
    "like_escape",
    "normalize",
    "is_normalized",
    "string_to_array",
    "array_to_string",
    // dates and times
    "now",
    "date_trunc",
    "date_part",
    "extract",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "age",
    "justify_days",
    "justify_hours",
    "justify_interval",
    "date_bin",
    "timezone",
    "to_date",
    "to_timestamp",
    "isfinite",
    "statement_timestamp",
    "transaction_timestamp",
    // JSON
    "to_json",
    "to_jsonb",
    "row_to_json",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "json_object",
    "jsonb_object",
    "jsonb_pretty",
    "json_array_length",
    "jsonb_array_length",
    "json_extract_path",
    "json_extract_path_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_typeof",
    "jsonb_typeof",
    "jsonb_strip_nulls",
    "json_strip_nulls",
    "jsonb_object_keys",
    "json_object_keys",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "json_array_elements",
    "json_array_elements_text",
    "jsonb_each",
    "jsonb_each_text",
    "json_each",
    "json_each_text",
    // arrays and sets
    "array_length",
    "cardinality",
    "unnest",
    "array_position",
    "array_positions",
    "array_remove",
    "array_append",
    "array_prepend",
    "array_cat",
    "array_lower",
    "array_upper",
    "array_dims",
    "generate_series",
    "generate_subscripts",
    // types
    "pg_typeof",
];

/// Zava's own functions an untrusted query may call: they only describe the caller.
pub const ZAVA_CALLABLE: &[&str] =
    &["current_store_ids", "current_principal", "get_user_store_list", "get_current_user_store", "whoami"];

/// Extensions whose non-volatile functions, operators and types are allowed.
pub const TRUSTED_EXTENSIONS: &[&str] = &["vector"];

/// The only schema whose tables an untrusted query may read (through RLS).
pub const READABLE_SCHEMA: &str = "retail";

/// `Ok` if the query may reach `f` this way, else a message naming the function.
pub fn check_function(site: Site, f: &Function) -> Result<(), String> {
    let refuse = || Err(format!("function {}.{} is not allowed in a safe query", f.schema, f.name));
    if f.extension.is_some_and(|e| TRUSTED_EXTENSIONS.contains(&e)) {
        return if f.volatility == b'v' { refuse() } else { Ok(()) };
    }
    match (f.schema, site) {
        ("zava", Site::Call) if ZAVA_CALLABLE.contains(&f.name) => Ok(()),
        ("pg_catalog", Site::Call | Site::Aggregate | Site::Window) if CALLABLE.contains(&f.name) => Ok(()),
        ("pg_catalog", Site::Operator | Site::Cast) if f.volatility != b'v' => Ok(()),
        _ => refuse(),
    }
}

/// `Ok` if a value of this type may be converted or compared (its I/O and
/// comparison functions are built in or from a trusted extension).
pub fn check_type(schema: &str, extension: Option<&str>, name: &str) -> Result<(), String> {
    if schema == "pg_catalog" || extension.is_some_and(|e| TRUSTED_EXTENSIONS.contains(&e)) {
        Ok(())
    } else {
        Err(format!("type {schema}.{name} is not allowed in a safe query"))
    }
}

/// `Ok` if the relation may be read: tables of the retail schema only (their
/// rows are filtered by RLS; catalogs, views and other schemas are out).
pub fn check_relation(schema: &str, name: &str, relkind: u8) -> Result<(), String> {
    if schema == READABLE_SCHEMA && matches!(relkind, b'r' | b'p') {
        Ok(())
    } else {
        Err(format!(
            "relation {schema}.{name} is not readable in a safe query; only tables in schema {READABLE_SCHEMA} are"
        ))
    }
}

/// Object-identifier types whose values are catalog look-ups: casting a number
/// or a name to one of them (`16384::regclass`, `'head_office'::regrole`) names
/// or probes catalog objects (tables, roles, functions) that the query may not
/// read. Refused anywhere in a safe query, as values and as casts.
pub const CATALOG_REFERENCE_TYPES: &[&str] = &[
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
];

/// `Ok` unless `type_name` (a type's name as written or as stored, possibly
/// schema-qualified, or an array of one) is a catalog-reference type.
pub fn check_value_type(type_name: &str) -> Result<(), String> {
    let base = type_name.rsplit('.').next().unwrap_or(type_name).trim_matches('"');
    let base = base.strip_prefix('_').unwrap_or(base).to_ascii_lowercase();
    if CATALOG_REFERENCE_TYPES.contains(&base.as_str()) {
        Err(format!(
            "type {base} is not allowed in a safe query (its values are catalog look-ups of tables, roles \
             and functions)"
        ))
    } else {
        Ok(())
    }
}

/// `Ok` if an operator may be used: it is built in (`pg_catalog`) or belongs to a
/// trusted extension. The function behind an operator is checked too, but an
/// operator of another schema (one some role can create objects in, or
/// `pg_temp`) could bind an allowed function under a misleading name or with a
/// planner support function of its own, so its own schema is checked as well.
pub fn check_operator(schema: &str, extension: Option<&str>, name: &str) -> Result<(), String> {
    if schema == "pg_catalog" || extension.is_some_and(|e| TRUSTED_EXTENSIONS.contains(&e)) {
        Ok(())
    } else {
        Err(format!("operator {schema}.{name} is not allowed in a safe query"))
    }
}

/// Why a system column may not be read: `xmin`/`xmax` with `age()` date every
/// row's write, `ctid` gives its place in the heap, and the heap holds every
/// tenant's rows, so the gaps between one store's values count the others'
/// writes. Refused by name as a safe query sees it (`ctid`, `xmin`, …).
pub fn system_column_refusal(column: &str) -> String {
    format!(
        "system column {column} is not allowed in a safe query \
         (row locations and transaction ids reveal other stores' write volume)"
    )
}

/// Why `session_user`, `current_user`, `current_role` and `user` are refused:
/// in a safe query they name the bridge's database login, not the person
/// asking, which is both misleading and a fact about the deployment.
pub const USER_FUNCTION_REFUSAL: &str = "session_user, current_user, current_role and user name the database \
     login the query runs under, not the person asking; use zava.whoami() for the caller's identity";

/// One argument of a call, as far as the amplifier rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A constant: its text form, or `None` for NULL.
    Const(Option<String>),
    /// Anything computed (a column, an expression, a sub-select).
    Computed,
}

/// Longest constant replacement `replace`, `regexp_replace` and `overlay` may
/// insert (bytes). Together with the per-query memory budget this keeps one
/// call from multiplying its input more than 32-fold.
pub const MAX_REPLACEMENT_BYTES: usize = 32;

/// Memory amplifiers a query may not use, decided from the call's shape before
/// anything runs. `Ok` if the call `name(args…)` (a function of `pg_catalog`
/// already on the allow-list) is bounded:
/// - `format`: the format string is a constant without width or flags
///   (`%10s`, `%-10s`, `%*s` pad to any size: `format('%1000000000s', 'x')`
///   asks for a gigabyte); positions (`%1$s`) are fine.
/// - `replace(s, from, to)`, `regexp_replace(s, pattern, to[, flags])`:
///   `to` a constant of at most 32 bytes (and the pattern a constant): each match
///   inserts `to`, so a long or computed replacement multiplies the input.
/// - `overlay(s placing r …)`: `r` a constant of at most 32 bytes (placing a
///   string into itself doubles it, and again in a recursive CTE).
/// - `translate(s, from, to)`: `to` a constant (the result has at most as many
///   characters as `s`).
pub fn check_call_shape(name: &str, args: &[Arg]) -> Result<(), String> {
    let constant = |i: usize| match args.get(i) {
        Some(Arg::Const(v)) => Ok(v.as_deref()),
        _ => Err(i),
    };
    let short = |i: usize, what: &str| match constant(i) {
        Ok(v) if v.is_none_or(|v| v.len() <= MAX_REPLACEMENT_BYTES) => Ok(()),
        _ => Err(format!(
            "{name}: the {what} must be a constant of at most {MAX_REPLACEMENT_BYTES} bytes in a safe query \
             (a long or computed one can multiply the size of the text)"
        )),
    };
    match name {
        "format" => match constant(0) {
            Ok(Some(f)) => check_format_string(f),
            Ok(None) => Ok(()),
            Err(_) => Err("format: the format string must be a constant in a safe query".into()),
        },
        "replace" => short(2, "replacement"),
        "regexp_replace" => {
            constant(1).map_err(|_| "regexp_replace: the pattern must be a constant in a safe query".to_string())?;
            short(2, "replacement")
        }
        "overlay" => short(1, "string placed"),
        "translate" => constant(2)
            .map(|_| ())
            .map_err(|_| "translate: the replacement characters must be a constant in a safe query".into()),
        _ => Ok(()),
    }
}

/// `Ok` if a `format()` string has no width or flag: only `%s`, `%I`, `%L`,
/// `%%`, optionally with a position (`%2$s`).
pub fn check_format_string(f: &str) -> Result<(), String> {
    let b = f.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        // An optional argument position: digits followed by '$'.
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && b.get(i + digits) == Some(&b'$') {
            i += digits + 1;
        }
        match b.get(i) {
            Some(b's' | b'I' | b'L') => i += 1,
            _ => {
                return Err(format!(
                    "format: widths and flags (as in %10s, %-10s, %*s) are not allowed in a safe query \
                     (they pad to any size); use %s, %I or %L (format string: {f:?})"
                ));
            }
        }
    }
    Ok(())
}

/// Largest `char(n)` and `bit(n)` a safe query may cast to: both pad every value
/// to `n`, so `x::char(10485760)` turns each row into 10 MB.
pub const MAX_PADDED_LENGTH: i32 = 10_000;

/// `Ok` unless a value of type `type_name` (`bpchar`, `bit`, or their arrays)
/// with this typmod pads beyond `MAX_PADDED_LENGTH` characters or bits.
/// `varchar(n)` and `varbit(n)` only limit, never pad, so any `n` is fine.
pub fn check_padded_length(type_name: &str, typmod: i32) -> Result<(), String> {
    // char(n) stores n + 4 (the varlena header) in its typmod; bit(n) stores n.
    let n = match type_name {
        "bpchar" | "_bpchar" => typmod - 4,
        "bit" | "_bit" => typmod,
        _ => return Ok(()),
    };
    if n > MAX_PADDED_LENGTH {
        let shown = if type_name.ends_with("bpchar") { "char" } else { "bit" };
        Err(format!(
            "{shown}({n}) pads every value to {n}; at most {shown}({MAX_PADDED_LENGTH}) is allowed in a safe query"
        ))
    } else {
        Ok(())
    }
}

/// A decimal's value as `f64` when that is exact to the digit (at most 15
/// significant digits); `None` otherwise (the caller keeps the text).
pub fn exact_decimal(text: &str) -> Option<f64> {
    let digits = text.trim_start_matches(['-', '+']);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = int.trim_start_matches('0').len() + frac.trim_end_matches('0').len();
    let significant = if int.trim_start_matches('0').is_empty() {
        frac.trim_end_matches('0').trim_start_matches('0').len()
    } else {
        significant
    };
    if significant > 15 {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(schema: &'static str, name: &'static str, volatility: u8) -> Function<'static> {
        Function { name, schema, volatility, extension: None }
    }

    #[test]
    fn table_of_decisions() {
        let cases: &[(Site, Function, bool)] = &[
            (Site::Aggregate, f("pg_catalog", "sum", b'i'), true),
            (Site::Call, f("pg_catalog", "date_trunc", b'i'), true),
            (Site::Call, f("pg_catalog", "generate_series", b'i'), true),
            (Site::Call, f("pg_catalog", "pg_read_file", b'v'), false),
            (Site::Call, f("pg_catalog", "pg_ls_dir", b'v'), false),
            (Site::Call, f("pg_catalog", "pg_sleep", b'v'), false),
            (Site::Call, f("pg_catalog", "set_config", b'v'), false),
            (Site::Call, f("pg_catalog", "current_setting", b's'), false),
            (Site::Call, f("pg_catalog", "nextval", b'v'), false),
            (Site::Call, f("pg_catalog", "lo_import", b'v'), false),
            (Site::Call, f("pg_catalog", "pg_advisory_lock", b'v'), false),
            (Site::Call, f("pg_catalog", "pg_terminate_backend", b'v'), false),
            (Site::Call, f("pg_catalog", "query_to_xml", b's'), false),
            (Site::Call, f("pg_catalog", "repeat", b'i'), false),
            (Site::Call, f("pg_catalog", "pg_stat_get_activity", b's'), false),
            (Site::Call, f("public", "dblink", b'v'), false),
            (Site::Call, f("zava", "whoami", b's'), true),
            (Site::Call, f("zava", "assert_principal", b'v'), false),
            (Site::Call, f("zava", "generate_demo_data", b'v'), false),
            (Site::Operator, f("pg_catalog", "int4pl", b'i'), true),
            (Site::Operator, f("pg_catalog", "some_volatile_op", b'v'), false),
            (Site::Operator, f("public", "evil_op", b'i'), false),
            (Site::Cast, f("pg_catalog", "int4", b'i'), true),
            (Site::Window, f("pg_catalog", "rank", b'i'), true),
            (Site::Window, f("pg_catalog", "pg_sleep", b'v'), false),
        ];
        for (site, func, allowed) in cases {
            assert_eq!(check_function(*site, func).is_ok(), *allowed, "{site:?} {}.{}", func.schema, func.name);
        }
        let vector_dist =
            Function { name: "vector_cosine_distance", schema: "public", volatility: b'i', extension: Some("vector") };
        assert!(check_function(Site::Operator, &vector_dist).is_ok());
        let vector_volatile = Function { volatility: b'v', ..vector_dist };
        assert!(check_function(Site::Call, &vector_volatile).is_err());
    }

    #[test]
    fn decimals_become_numbers_only_when_exact() {
        assert_eq!(exact_decimal("12.30"), Some(12.3));
        assert_eq!(exact_decimal("-0.05"), Some(-0.05));
        assert_eq!(exact_decimal("123456789012345"), Some(123456789012345.0));
        assert_eq!(exact_decimal("0.000000000000000000001"), Some(1e-21));
        assert_eq!(exact_decimal("1234567890123456"), None, "16 digits may not survive f64");
        assert_eq!(exact_decimal("12345678901234.56"), None);
        assert_eq!(exact_decimal("NaN"), None);
        assert_eq!(exact_decimal("Infinity"), None);
        assert_eq!(exact_decimal(""), None);
    }

    #[test]
    fn amplifier_shapes() {
        let c = |s: &str| Arg::Const(Some(s.to_string()));
        let cases: &[(&str, Vec<Arg>, bool)] = &[
            ("format", vec![c("%s-%s"), c("a"), c("b")], true),
            ("format", vec![c("%1$s %1$I %2$L %%"), c("a"), c("b")], true),
            ("format", vec![c("%1000000000s"), c("x")], false),
            ("format", vec![c("%-5s"), c("x")], false),
            ("format", vec![c("%*s"), c("9"), c("x")], false),
            ("format", vec![c("%1$*2$s"), c("x"), c("9")], false),
            ("format", vec![Arg::Computed, c("x")], false),
            ("format", vec![Arg::Const(None)], true),
            ("replace", vec![Arg::Computed, c("-"), c("")], true),
            ("replace", vec![Arg::Computed, c("a"), c(&"b".repeat(33))], false),
            ("replace", vec![Arg::Computed, c("a"), Arg::Computed], false),
            ("regexp_replace", vec![Arg::Computed, c("[0-9]+"), c("#"), c("g")], true),
            ("regexp_replace", vec![Arg::Computed, Arg::Computed, c("#")], false),
            ("regexp_replace", vec![Arg::Computed, c("(.*)"), c(&"\\1".repeat(20))], false),
            ("overlay", vec![Arg::Computed, c("xx"), c("1"), c("2")], true),
            ("overlay", vec![Arg::Computed, Arg::Computed, c("1")], false),
            ("translate", vec![Arg::Computed, c("abc"), c("xyz")], true),
            ("translate", vec![Arg::Computed, c("abc"), Arg::Computed], false),
            ("upper", vec![Arg::Computed], true),
        ];
        for (name, args, ok) in cases {
            assert_eq!(check_call_shape(name, args).is_ok(), *ok, "{name}({args:?})");
        }
        assert!(check_padded_length("bpchar", 10_004).is_ok());
        assert!(check_padded_length("bpchar", 10_005).is_err());
        assert!(check_padded_length("_bpchar", 10_485_764).is_err());
        assert!(check_padded_length("bit", 80_000).is_err());
        assert!(check_padded_length("varchar", 10_485_764).is_ok(), "varchar never pads");
        assert!(check_padded_length("bpchar", -1).is_ok(), "plain bpchar has no length");
    }

    #[test]
    fn catalog_reference_types_and_operators() {
        for bad in ["regclass", "pg_catalog.regrole", "_regproc", "REGTYPE", "\"regnamespace\"", "regoperator"] {
            assert!(check_value_type(bad).is_err(), "{bad}");
        }
        for good in ["oid", "text", "int4", "_text", "regress_table", "pg_catalog.int8", "vector"] {
            assert!(check_value_type(good).is_ok(), "{good}");
        }
        assert!(check_operator("pg_catalog", None, "+").is_ok());
        assert!(check_operator("public", Some("vector"), "<=>").is_ok());
        assert!(check_operator("pg_temp_3", None, "===").is_err());
        assert!(check_operator("public", None, "+").is_err());
        assert!(system_column_refusal("xmin").contains("xmin"));
    }

    #[test]
    fn relations_and_types() {
        assert!(check_relation("retail", "orders", b'r').is_ok());
        assert!(check_relation("retail", "some_view", b'v').is_err());
        assert!(check_relation("zava", "principals", b'r').is_err());
        assert!(check_relation("pg_catalog", "pg_authid", b'r').is_err());
        assert!(check_relation("pg_catalog", "pg_stat_activity", b'v').is_err());
        assert!(check_type("pg_catalog", None, "int4").is_ok());
        assert!(check_type("public", Some("vector"), "vector").is_ok());
        assert!(check_type("public", None, "evil").is_err());
        let msg = check_function(Site::Call, &f("pg_catalog", "pg_read_file", b'v')).unwrap_err();
        assert_eq!(msg, "function pg_catalog.pg_read_file is not allowed in a safe query");
    }
}
