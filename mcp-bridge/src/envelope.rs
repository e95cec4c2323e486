//! The JSON-RPC 2.0 envelope of every incoming message, checked before rmcp
//! sees it, over HTTP and stdio alike. rmcp answers a message that does not
//! deserialize with HTTP 415 (over HTTP) or not at all (over stdio, where a
//! request with a bad `params` was dropped: found by tests/e2e/fuzz.sh); here
//! each gets a JSON-RPC error naming what is wrong, with the request's id when
//! it has a usable one.

use serde_json::{Value, json};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;

/// Why a message was refused, and the id to answer with.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub id: Value,
    pub code: i64,
    pub message: String,
}

impl Refusal {
    pub fn to_json(&self) -> Value {
        json!({ "jsonrpc": "2.0", "id": self.id, "error": { "code": self.code, "message": self.message } })
    }
}

/// A JSON-RPC id: a string or an integer (MCP: never null).
fn usable_id(id: &Value) -> bool {
    id.is_string() || id.as_i64().is_some() || id.as_u64().is_some()
}

/// Parses one message and checks its envelope: an object with `"jsonrpc":
/// "2.0"`, and either a request or notification (`method` a string, `params`
/// an object if present, `id` a string or integer if present) or a response
/// (`id` and exactly one of `result` and `error`).
pub fn check(bytes: &[u8]) -> Result<Value, Refusal> {
    let refuse = |id: Value, code, message: &str| Refusal { id, code, message: message.to_string() };
    let message: Value = serde_json::from_slice(bytes).map_err(|e| Refusal {
        id: Value::Null,
        code: PARSE_ERROR,
        message: format!("Parse error: not JSON ({e})"),
    })?;
    let Some(m) = message.as_object() else {
        let what = if message.is_array() {
            "Invalid Request: batches are not supported; send one message at a time"
        } else {
            "Invalid Request: a message is a JSON object"
        };
        return Err(refuse(Value::Null, INVALID_REQUEST, what));
    };
    let id = m.get("id");
    let answer_id = id.filter(|id| usable_id(id)).cloned().unwrap_or(Value::Null);
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(refuse(answer_id, INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
    }
    if id.is_some_and(|id| !usable_id(id)) {
        return Err(refuse(Value::Null, INVALID_REQUEST, "Invalid Request: an id is a string or an integer"));
    }
    match m.get("method") {
        Some(Value::String(_)) => {
            if m.get("params").is_some_and(|p| !p.is_object()) {
                return Err(refuse(answer_id, INVALID_PARAMS, "Invalid params: \"params\" must be an object"));
            }
            Ok(message)
        }
        Some(_) => Err(refuse(answer_id, INVALID_REQUEST, "Invalid Request: \"method\" must be a string")),
        None if id.is_some() && (m.contains_key("result") != m.contains_key("error")) => Ok(message),
        None => Err(refuse(answer_id, INVALID_REQUEST, "Invalid Request: no method, and not a response")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> (Value, i64) {
        let r = check(text.as_bytes()).expect_err(text);
        (r.id, r.code)
    }

    #[test]
    fn well_formed_messages_pass() {
        for ok in [
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"m"}}"#,
        ] {
            assert!(check(ok.as_bytes()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn each_malformed_message_gets_its_error_and_usable_id() {
        assert_eq!(refused("{"), (Value::Null, PARSE_ERROR));
        assert_eq!(refused(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#), (Value::Null, INVALID_REQUEST));
        assert_eq!(refused("17"), (Value::Null, INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#), (json!(3), INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#), (Value::Null, INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#), (Value::Null, INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#), (Value::Null, INVALID_REQUEST));
        assert_eq!(
            refused(r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":true}"#),
            (json!("x"), INVALID_PARAMS)
        );
        assert_eq!(
            refused(r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":[1]}"#),
            (json!(4), INVALID_PARAMS)
        );
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":5,"method":7}"#), (json!(5), INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":6}"#), (json!(6), INVALID_REQUEST));
        assert_eq!(refused(r#"{"jsonrpc":"2.0","id":6,"result":1,"error":{}}"#), (json!(6), INVALID_REQUEST));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(refused(&deep), (Value::Null, INVALID_REQUEST));
        let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(refused(&deeper), (Value::Null, PARSE_ERROR), "serde_json's recursion limit");
    }
}
