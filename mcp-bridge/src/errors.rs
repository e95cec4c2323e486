//! Database errors → the stable error codes clients see.
//!
//! The model gets a message it can act on (fix the SQL, ask for less, try
//! later); internals (connection strings, paths, stack traces, PL/pgSQL
//! context) stay in the server's log.

use serde::Serialize;

/// Stable error codes of failed tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The request or the SQL is wrong: fix it and call again.
    ValidationError,
    /// Not allowed for this caller.
    AuthorizationError,
    /// The query ran past its time limit.
    QueryTimeout,
    /// The query hit a resource limit (temporary files, memory).
    ResourceLimit,
    /// The database cannot be reached right now; try again later.
    Unavailable,
    /// Too many calls at once for this caller.
    RateLimited,
    /// The client cancelled the call (its query was cancelled in Postgres).
    Cancelled,
    /// Anything else; details are in the server log under the call id.
    DatabaseError,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ValidationError => "VALIDATION_ERROR",
            Code::AuthorizationError => "AUTHORIZATION_ERROR",
            Code::QueryTimeout => "QUERY_TIMEOUT",
            Code::ResourceLimit => "RESOURCE_LIMIT",
            Code::Unavailable => "UNAVAILABLE",
            Code::RateLimited => "RATE_LIMITED",
            Code::Cancelled => "CANCELLED",
            Code::DatabaseError => "DATABASE_ERROR",
        }
    }

    /// Whether the database's own message may be shown to the client.
    pub fn shows_message(self) -> bool {
        matches!(self, Code::ValidationError | Code::AuthorizationError | Code::QueryTimeout | Code::ResourceLimit)
    }
}

/// Classifies a SQLSTATE.
pub fn classify(sqlstate: &str) -> Code {
    match sqlstate {
        "42501" => Code::AuthorizationError,
        s if s.starts_with("28") => Code::AuthorizationError,
        "57014" => Code::QueryTimeout,
        "53300" => Code::Unavailable, // too many connections
        s if s.starts_with("53") || s.starts_with("54") => Code::ResourceLimit,
        s if s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" => Code::Unavailable,
        s if s.starts_with("22") || s.starts_with("42") || s.starts_with("0A") || s.starts_with("2F") => {
            Code::ValidationError
        }
        _ => Code::DatabaseError,
    }
}

/// A failed call as the client sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToolFailure {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub call_id: String,
}

impl ToolFailure {
    pub fn new(code: Code, message: impl Into<String>, call_id: &str) -> Self {
        Self { code, message: message.into(), sqlstate: None, hint: None, detail: None, call_id: call_id.into() }
    }

    /// From a database error: its message, hint and detail only where the
    /// code allows; otherwise a generic sentence naming the call id.
    pub fn from_db(sqlstate: &str, message: &str, hint: Option<&str>, detail: Option<&str>, call_id: &str) -> Self {
        let code = classify(sqlstate);
        if code.shows_message() {
            Self {
                code,
                message: message.to_string(),
                sqlstate: Some(sqlstate.to_string()),
                hint: hint.map(str::to_string),
                detail: detail.map(str::to_string),
                call_id: call_id.into(),
            }
        } else if code == Code::Unavailable {
            Self::new(code, "the database is unavailable right now; try again shortly", call_id)
        } else {
            Self::new(code, format!("the database could not answer this request (call {call_id})"), call_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_stable_codes() {
        let cases = [
            ("42501", Code::AuthorizationError),
            ("28000", Code::AuthorizationError),
            ("57014", Code::QueryTimeout),
            ("53400", Code::ResourceLimit),
            ("54001", Code::ResourceLimit),
            ("53300", Code::Unavailable),
            ("08006", Code::Unavailable),
            ("57P01", Code::Unavailable),
            ("42601", Code::ValidationError),
            ("42P01", Code::ValidationError),
            ("0A000", Code::ValidationError),
            ("22012", Code::ValidationError),
            ("40001", Code::DatabaseError),
            ("XX000", Code::DatabaseError),
        ];
        for (state, code) in cases {
            assert_eq!(classify(state), code, "{state}");
        }
    }

    #[test]
    fn internals_do_not_reach_the_client() {
        let f =
            ToolFailure::from_db("XX000", "could not open file \"base/16384/1234\": No such file", None, None, "c1");
        assert_eq!(f.code, Code::DatabaseError);
        assert!(!f.message.contains("base/16384"));
        assert!(f.message.contains("c1"));
        assert_eq!(f.sqlstate, None);
        let f = ToolFailure::from_db("08006", "connection to 10.0.0.5:5432 refused", None, None, "c2");
        assert!(!f.message.contains("10.0.0.5"));
        let f = ToolFailure::from_db("42601", "syntax error at or near \"FORM\"", Some("Send one SELECT"), None, "c3");
        assert_eq!(f.code, Code::ValidationError);
        assert_eq!(f.message, "syntax error at or near \"FORM\"");
        assert_eq!(f.hint.as_deref(), Some("Send one SELECT"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["code"], "VALIDATION_ERROR");
    }
}
