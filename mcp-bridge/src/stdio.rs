//! The stdio transport: newline-delimited JSON-RPC on stdin and stdout, with
//! every incoming line's envelope checked (envelope.rs) before rmcp reads it.
//! A refused line is answered here with its JSON-RPC error; a line longer than
//! [`MAX_LINE`] is skipped (not buffered) and answered with a parse error. All
//! output — rmcp's answers and these errors — goes through one writer, a whole
//! line at a time.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::envelope;

/// The longest message accepted on stdin.
pub const MAX_LINE: usize = 4 << 20;

/// rmcp's side of the transport: it reads checked lines from the first and
/// writes its answers to the second.
pub type Transport = (DuplexStream, DuplexStream);

pub struct CheckedStdio {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl CheckedStdio {
    pub fn start() -> (CheckedStdio, Transport) {
        Self::over(tokio::io::stdin(), tokio::io::stdout())
    }

    fn over<I, O>(input: I, output: O) -> (CheckedStdio, Transport)
    where
        I: AsyncRead + Unpin + Send + 'static,
        O: AsyncWrite + Unpin + Send + 'static,
    {
        let (rmcp_in, to_rmcp) = tokio::io::duplex(64 << 10);
        let (rmcp_out, from_rmcp) = tokio::io::duplex(64 << 10);
        let (lines, mut outgoing) = mpsc::channel::<Vec<u8>>(64);
        let writer = tokio::spawn(async move {
            let mut output = output;
            while let Some(line) = outgoing.recv().await {
                if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
                    return;
                }
            }
        });
        let answers = lines.clone();
        tokio::spawn(async move {
            let mut from_rmcp = BufReader::new(from_rmcp);
            let mut line = Vec::new();
            while from_rmcp.read_until(b'\n', &mut line).await.is_ok_and(|n| n > 0) {
                if answers.send(std::mem::take(&mut line)).await.is_err() {
                    return;
                }
            }
        });
        let reader = tokio::spawn(read_checked(BufReader::new(input), to_rmcp, lines));
        (CheckedStdio { reader, writer }, (rmcp_in, rmcp_out))
    }

    /// After rmcp has stopped: stop reading, send what is left, return.
    pub async fn finish(self) {
        self.reader.abort();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.writer).await;
    }
}

/// Reads lines without holding more than [`MAX_LINE`] bytes of one; passes
/// the good ones to rmcp, answers the others. Ends at end of input, which
/// closes rmcp's input.
async fn read_checked<I: AsyncRead + Unpin>(
    mut input: BufReader<I>,
    mut to_rmcp: DuplexStream,
    errors: mpsc::Sender<Vec<u8>>,
) {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        // (end of input, where this chunk's line ends) — copied out before
        // the buffer is consumed.
        let (done, newline) = match input.fill_buf().await {
            Ok([]) | Err(_) => (true, None),
            Ok(chunk) => {
                let newline = chunk.iter().position(|&b| b == b'\n');
                if !too_long {
                    line.extend_from_slice(&chunk[..newline.unwrap_or(chunk.len())]);
                }
                let used = newline.map_or(chunk.len(), |i| i + 1);
                input.consume(used);
                (false, newline)
            }
        };
        if line.len() > MAX_LINE {
            too_long = true;
            line = Vec::new();
        }
        if !done && newline.is_none() {
            continue;
        }
        let answer = if too_long {
            Some(envelope::Refusal {
                id: serde_json::Value::Null,
                code: envelope::PARSE_ERROR,
                message: format!("Parse error: a message longer than {MAX_LINE} bytes"),
            })
        } else if line.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match envelope::check(&line) {
                Ok(_) => {
                    line.push(b'\n');
                    if to_rmcp.write_all(&line).await.is_err() {
                        return;
                    }
                    None
                }
                Err(refusal) => Some(refusal),
            }
        };
        if let Some(refusal) = answer {
            let mut text = refusal.to_json().to_string().into_bytes();
            text.push(b'\n');
            if errors.send(text).await.is_err() {
                return;
            }
        }
        line.clear();
        too_long = false;
        if done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn good_lines_reach_rmcp_and_bad_ones_are_answered() {
        let input = format!(
            "{}\n\n{}\nnot json\n{}\n{}",
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":true}"#,
            "x".repeat(MAX_LINE + 10),
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        );
        let (mut output_end, output) = tokio::io::duplex(1 << 16);
        let (_stdio, (mut rmcp_in, rmcp_out)) = CheckedStdio::over(std::io::Cursor::new(input.into_bytes()), output);
        let mut passed = String::new();
        rmcp_in.read_to_string(&mut passed).await.unwrap();
        assert_eq!(
            passed,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
            "the good lines, each ending with a newline (the last one had none)"
        );
        drop(rmcp_out);
        let mut answered = String::new();
        tokio::time::timeout(std::time::Duration::from_secs(5), output_end.read_to_string(&mut answered))
            .await
            .expect("output ends")
            .unwrap();
        let errors: Vec<Value> = answered.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let codes: Vec<(Value, i64)> =
            errors.iter().map(|e| (e["id"].clone(), e["error"]["code"].as_i64().unwrap())).collect();
        assert_eq!(
            codes,
            vec![
                (Value::from(2), envelope::INVALID_PARAMS),
                (Value::Null, envelope::PARSE_ERROR),
                (Value::Null, envelope::PARSE_ERROR)
            ]
        );
        assert!(errors[2]["error"]["message"].as_str().unwrap().contains("longer than"));
    }
}
