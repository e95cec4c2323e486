//! Sentence embeddings with all-MiniLM-L6-v2, computed in Rust with candle: no
//! network, no Python, no Postgres. `zava_pg_ext::embed` loads one [`Embedder`]
//! per backend and calls it from SQL (`zava.embed`, `zava.embed_batch`).
//!
//! Exactly what sentence-transformers computes for this model: BERT word-piece
//! tokens (lower-cased, `[CLS] … [SEP]`) truncated at 256 tokens, the 6-layer
//! encoder, mean pooling over the attention mask, then L2 normalisation. The
//! model files (`config.json`, `tokenizer.json`, `model.safetensors`) come from a
//! registry package installed by `scripts/setup.sh`; the tokenizer file ships
//! with a fixed truncation and padding of 128, which [`Embedder::load`] replaces.
//!
//! Threads: candle and the tokenizer parallelise with rayon. Inside a Postgres
//! backend nothing may run on another thread, so [`run_on_this_thread_only`]
//! makes rayon's global pool consist of the calling thread alone (call it
//! before the first embedding, from the thread that will embed).

mod cache;
pub use cache::{CacheStats, EmbeddingCache};

use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

/// Dimensions of an embedding.
pub const DIM: usize = 384;
/// Tokens the model reads, `[CLS]` and `[SEP]` included (sentence-transformers'
/// `max_seq_length` for this model); longer texts are truncated.
pub const MAX_TOKENS: usize = 256;
/// The model's name, stored beside every vector made with it.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// Why a model could not be loaded or used.
#[derive(Debug)]
pub enum EmbedError {
    /// A model file is missing or unreadable.
    Missing { path: PathBuf, reason: String },
    /// A model file is there but cannot be used (bad JSON, bad tensors, wrong shapes).
    Corrupt { path: PathBuf, reason: String },
    /// Tokenising or running the model failed.
    Compute(String),
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbedError::Missing { path, reason } => write!(f, "model file {} is missing ({reason})", path.display()),
            EmbedError::Corrupt { path, reason } => write!(f, "model file {} is not usable ({reason})", path.display()),
            EmbedError::Compute(reason) => write!(f, "embedding failed: {reason}"),
        }
    }
}

impl std::error::Error for EmbedError {}

fn compute(e: impl fmt::Display) -> EmbedError {
    EmbedError::Compute(e.to_string())
}

/// Makes rayon's global pool the calling thread alone, so that candle's and the
/// tokenizer's parallel loops run inline on it and no thread is ever started.
/// Returns `false` if the global pool already existed (then it is left as is).
pub fn run_on_this_thread_only() -> bool {
    rayon::ThreadPoolBuilder::new().num_threads(1).use_current_thread().build_global().is_ok()
}

/// Checks, without loading the weights, that `dir` holds a model
/// [`Embedder::load`] would accept: `config.json` parses with [`DIM`]
/// dimensions, `tokenizer.json` is there and not empty, and
/// `model.safetensors` has a well-formed header whose tensors (the word
/// embeddings among them) lie within the file. Reads a few kilobytes: cheap
/// enough for a health check.
pub fn check(dir: &Path) -> Result<(), EmbedError> {
    use std::io::Read;
    let missing =
        |name: &str, e: &dyn fmt::Display| EmbedError::Missing { path: dir.join(name), reason: e.to_string() };
    let corrupt =
        |name: &str, e: &dyn fmt::Display| EmbedError::Corrupt { path: dir.join(name), reason: e.to_string() };

    let config = std::fs::read(dir.join("config.json")).map_err(|e| missing("config.json", &e))?;
    let config: Config = serde_json::from_slice(&config).map_err(|e| corrupt("config.json", &e))?;
    if config.hidden_size != DIM {
        return Err(corrupt("config.json", &format!("hidden size {} (expected {DIM})", config.hidden_size)));
    }
    let tokenizer = std::fs::File::open(dir.join("tokenizer.json"))
        .and_then(|f| f.metadata())
        .map_err(|e| missing("tokenizer.json", &e))?;
    if tokenizer.len() == 0 {
        return Err(corrupt("tokenizer.json", &"empty file"));
    }

    const WEIGHTS: &str = "model.safetensors";
    let mut f = std::fs::File::open(dir.join(WEIGHTS)).map_err(|e| missing(WEIGHTS, &e))?;
    let file_len = f.metadata().map_err(|e| missing(WEIGHTS, &e))?.len();
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|e| corrupt(WEIGHTS, &e))?;
    let header_len = u64::from_le_bytes(len);
    if header_len > (16 << 20) || 8 + header_len > file_len {
        return Err(corrupt(WEIGHTS, &format!("a header of {header_len} bytes in a file of {file_len}")));
    }
    let mut header = vec![0u8; header_len as usize];
    f.read_exact(&mut header).map_err(|e| corrupt(WEIGHTS, &e))?;
    let tensors: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| corrupt(WEIGHTS, &e))?;
    let data_len = file_len - 8 - header_len;
    let mut word_embeddings = false;
    for (name, t) in tensors.iter().filter(|(n, _)| *n != "__metadata__") {
        let end = t.get("data_offsets").and_then(|o| o.get(1)).and_then(serde_json::Value::as_u64);
        match end {
            Some(end) if end <= data_len => {}
            _ => return Err(corrupt(WEIGHTS, &format!("tensor {name} lies outside the file"))),
        }
        word_embeddings |= name.ends_with("word_embeddings.weight");
    }
    if !word_embeddings {
        return Err(corrupt(WEIGHTS, &"no word embeddings tensor"));
    }
    Ok(())
}

/// A loaded model: tokenizer and BERT encoder, on the CPU.
pub struct Embedder {
    tokenizer: Tokenizer,
    model: BertModel,
    device: Device,
}

impl Embedder {
    /// Loads the model from `dir` (`config.json`, `tokenizer.json`, `model.safetensors`).
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| EmbedError::Missing { path, reason: e.to_string() })
        };
        let corrupt =
            |name: &str, e: &dyn fmt::Display| EmbedError::Corrupt { path: dir.join(name), reason: e.to_string() };

        let config: Config = serde_json::from_slice(&read("config.json")?).map_err(|e| corrupt("config.json", &e))?;
        if config.hidden_size != DIM {
            return Err(corrupt("config.json", &format!("hidden size {} (expected {DIM})", config.hidden_size)));
        }
        let mut tokenizer =
            Tokenizer::from_bytes(read("tokenizer.json")?).map_err(|e| corrupt("tokenizer.json", &e))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| corrupt("tokenizer.json", &e))?;
        tokenizer.with_padding(None);

        let device = Device::Cpu;
        let weights = VarBuilder::from_buffered_safetensors(read("model.safetensors")?, DType::F32, &device)
            .map_err(|e| corrupt("model.safetensors", &e))?;
        let model = BertModel::load(weights, &config).map_err(|e| corrupt("model.safetensors", &e))?;
        Ok(Embedder { tokenizer, model, device })
    }

    /// The embedding of one text: 384 numbers of unit length.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed_batch(&[text])?.pop().expect("one text in, one vector out"))
    }

    /// Embeddings of several texts in one pass (padded to the longest; the
    /// padding is masked out, so each equals its own [`Embedder::embed`]).
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings =
            texts.iter().map(|t| self.tokenizer.encode(*t, true).map_err(compute)).collect::<Result<Vec<_>, _>>()?;
        let width = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        let (mut ids, mut types, mut mask) = (Vec::new(), Vec::new(), Vec::new());
        for e in &encodings {
            let n = e.get_ids().len();
            ids.extend(e.get_ids().iter().copied().chain(std::iter::repeat_n(0, width - n)));
            types.extend(e.get_type_ids().iter().copied().chain(std::iter::repeat_n(0, width - n)));
            mask.extend(std::iter::repeat_n(1u32, n).chain(std::iter::repeat_n(0, width - n)));
        }
        let shape = (texts.len(), width);
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(compute)?;
        let types = Tensor::from_vec(types, shape, &self.device).map_err(compute)?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(compute)?;

        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(compute)?; // (batch, tokens, 384)
        // Mean over the real tokens, then unit length.
        let mask = mask.to_dtype(DType::F32).map_err(compute)?.unsqueeze(2).map_err(compute)?;
        let summed = hidden.broadcast_mul(&mask).and_then(|h| h.sum(1)).map_err(compute)?;
        let counts = mask.sum(1).map_err(compute)?;
        let mean = summed.broadcast_div(&counts).map_err(compute)?;
        let norm = mean.sqr().and_then(|s| s.sum_keepdim(1)).and_then(|s| s.sqrt()).map_err(compute)?;
        let unit = mean.broadcast_div(&norm).map_err(compute)?;
        unit.to_vec2::<f32>().map_err(compute)
    }

    /// How many tokens the model reads of `text` (after truncation).
    pub fn token_count(&self, text: &str) -> Result<usize, EmbedError> {
        Ok(self.tokenizer.encode(text, true).map_err(compute)?.get_ids().len())
    }
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The installed model (scripts/setup.sh puts it under Postgres' share
    /// directory); `ZAVA_MODEL_DIR` overrides.
    fn model_dir() -> PathBuf {
        if let Ok(dir) = std::env::var("ZAVA_MODEL_DIR") {
            return dir.into();
        }
        let out = std::process::Command::new("pg_config").arg("--sharedir").output().expect("pg_config runs");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("extension/zava_models").join(MODEL_NAME)
    }

    fn reference() -> Vec<(String, usize, Vec<f32>)> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/embed/reference.json"))
            .expect("tests/embed/reference.json");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let v = t["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
                (t["text"].as_str().unwrap().to_string(), t["tokens"].as_u64().unwrap() as usize, v)
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_independent_reference() {
        let model = Embedder::load(&model_dir()).expect("the model installed by scripts/setup.sh");
        let cases = reference();
        assert!(cases.len() >= 12);
        assert!(cases.iter().any(|c| c.1 > 128 && c.1 < MAX_TOKENS), "a text longer than 128 tokens");
        assert!(cases.iter().any(|c| c.1 == MAX_TOKENS), "a text truncated at 256 tokens");
        for (text, tokens, expected) in &cases {
            assert_eq!(model.token_count(text).unwrap(), *tokens, "token count of {text:?}");
            let got = model.embed(text).unwrap();
            assert_eq!(got.len(), DIM);
            let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "unit length, got {norm}");
            let c = cosine(&got, expected);
            assert!(c >= 0.999, "cosine {c} for {text:?}");
        }
        // A batch (padded to its longest text) gives each text's own embedding.
        let texts: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
        for (batch, (text, _, expected)) in model.embed_batch(&texts).unwrap().iter().zip(&cases) {
            assert!(cosine(batch, expected) >= 0.999, "batch cosine for {text:?}");
        }
        // Paraphrases are near, unrelated texts far.
        let near = cosine(&model.embed("cordless drill").unwrap(), &model.embed("battery powered driver").unwrap());
        let far =
            cosine(&model.embed("cordless drill").unwrap(), &model.embed("gather round a campfire at home").unwrap());
        assert!(near > far + 0.2, "near {near}, far {far}");
    }

    #[test]
    fn a_missing_model_is_a_clear_error() {
        let err = Embedder::load(Path::new("/nonexistent/zava-model")).err().expect("no model there");
        assert!(matches!(err, EmbedError::Missing { .. }));
        assert!(err.to_string().contains("/nonexistent/zava-model/config.json"), "{err}");
    }

    #[test]
    fn a_corrupt_model_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("zava-corrupt-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["config.json", "tokenizer.json"] {
            std::fs::copy(model_dir().join(f), dir.join(f)).unwrap();
        }
        std::fs::write(dir.join("model.safetensors"), b"not a safetensors file").unwrap();
        let err = Embedder::load(&dir).err().expect("corrupt weights");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(err, EmbedError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("model.safetensors"), "{err}");
    }

    #[test]
    fn check_agrees_with_load_without_loading() {
        assert!(check(&model_dir()).is_ok(), "the installed model passes the check");
        let err = check(Path::new("/nonexistent/zava-model")).expect_err("no model there");
        assert!(matches!(err, EmbedError::Missing { .. }) && err.to_string().contains("config.json"), "{err}");
        // Each way a file can be broken, as load would find it: the check finds it too.
        let dir = std::env::temp_dir().join(format!("zava-check-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["config.json", "tokenizer.json"] {
            std::fs::copy(model_dir().join(f), dir.join(f)).unwrap();
        }
        let weights = std::fs::read(model_dir().join("model.safetensors")).unwrap();
        let broken: [(&str, Vec<u8>); 3] = [
            ("not a safetensors file", b"not a safetensors file".to_vec()),
            ("truncated weights", weights[..weights.len() / 2].to_vec()),
            ("only the header length", weights[..8].to_vec()),
        ];
        for (what, bytes) in broken {
            std::fs::write(dir.join("model.safetensors"), &bytes).unwrap();
            let err = check(&dir).err().unwrap_or_else(|| panic!("{what}: passes the check"));
            assert!(err.to_string().contains("model.safetensors"), "{what}: {err}");
            assert!(Embedder::load(&dir).is_err(), "{what}: load refuses it too");
        }
        std::fs::remove_file(dir.join("model.safetensors")).unwrap();
        assert!(matches!(check(&dir), Err(EmbedError::Missing { .. })), "weights removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
