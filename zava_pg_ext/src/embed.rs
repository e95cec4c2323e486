//! `zava.embed(text) → vector` and `zava.embed_batch(text[]) → vector[]`:
//! all-MiniLM-L6-v2 sentence embeddings computed in this backend, in Rust
//! (`zava_embed`, candle), from the model files `scripts/setup.sh` installed.
//! No network, no external service.
//!
//! * The model loads lazily, once per backend, at the first call, from the
//!   directory in `zava.model_dir` (superuser-only; default: the install path
//!   under Postgres' share directory). A missing or corrupt model is an error
//!   with a hint, never a crash.
//! * One thread: `_PG_init` sets `RAYON_NUM_THREADS=1` (candle then runs its
//!   matrix products without a pool) and the first call makes rayon's global
//!   pool this backend's own thread, so nothing ever runs on another thread —
//!   and nothing is started in `_PG_init`, which may run in the postmaster.
//! * `embed_batch` checks for interrupts between chunks, so cancel and
//!   `statement_timeout` stop a long batch.
//! * Not through the query gate: embedding is CPU-heavy, so `safe_query` refuses
//!   it (only Zava's identity readers are callable there); search has its own function.

use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use zava_embed::{DIM, EmbedError, Embedder, EmbeddingCache};

use crate::errors::raise_hint;

/// Where the model files are (`zava.model_dir`).
static MODEL_DIR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// Texts embedded per forward pass by `embed_batch` (interrupts are checked between passes).
const BATCH_CHUNK: usize = 16;

const SETUP_HINT: &str = "Install the model with `make setup` (scripts/setup.sh), or point zava.model_dir \
                          (superuser) at a directory holding config.json, tokenizer.json and model.safetensors.";

/// Registers `zava.model_dir` and keeps candle single-threaded. Runs in `_PG_init`.
pub fn init() {
    // SAFETY: _PG_init runs before this process starts any thread (candle and
    // rayon start none until the first embedding, which builds no pool either).
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", "1");
        std::env::set_var("CANDLE_NUM_THREADS", "1");
        std::env::set_var("TOKENIZERS_PARALLELISM", "false");
    }
    let default = CString::new(default_model_dir()).unwrap_or_default();
    // SAFETY: the boot value must outlive the GUC (the process): leaked on
    // purpose, once. Written before the GUC is defined, so Postgres copies it
    // as the default; single-threaded.
    unsafe { *MODEL_DIR.as_ptr() = default.into_raw() };
    GucRegistry::define_string_guc(
        c"zava.model_dir",
        c"Directory of the sentence-embedding model used by zava.embed.",
        c"Holds config.json, tokenizer.json and model.safetensors of all-MiniLM-L6-v2 (installed by scripts/setup.sh).",
        &MODEL_DIR,
        GucContext::Suset,
        GucFlags::default(),
    );
}

/// `<sharedir>/extension/zava_models/all-MiniLM-L6-v2`, where setup.sh installs it.
fn default_model_dir() -> String {
    let mut buf = vec![0 as std::ffi::c_char; pg_sys::MAXPGPATH as usize];
    // SAFETY: my_exec_path is the backend's NUL-terminated executable path;
    // get_share_path writes at most MAXPGPATH bytes into buf.
    let share = unsafe {
        pg_sys::get_share_path(std::ptr::addr_of!(pg_sys::my_exec_path).cast(), buf.as_mut_ptr());
        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    };
    format!("{share}/extension/zava_models/{}", zava_embed::MODEL_NAME)
}

/// Query embeddings a backend keeps (`zava.embed`; `embed_batch` embeds
/// catalog texts, which would only push queries out): 1,024 entries or 4 MiB of
/// texts and vectors, whichever is reached first (a vector is 1.5 kB).
const CACHE_ENTRIES: usize = 1024;
const CACHE_BYTES: usize = 4 << 20;

thread_local! {
    /// The loaded model and the directory it came from (reloaded if zava.model_dir changes).
    static MODEL: RefCell<Option<(PathBuf, Rc<Embedder>)>> = const { RefCell::new(None) };
    /// The embeddings `zava.embed` computed with that model (emptied when another loads).
    static CACHE: RefCell<EmbeddingCache> = RefCell::new(EmbeddingCache::new(CACHE_ENTRIES, CACHE_BYTES));
}

/// The directory `zava.model_dir` names now.
fn model_dir() -> PathBuf {
    PathBuf::from(MODEL_DIR.get().map(|d| d.to_string_lossy().into_owned()).unwrap_or_else(default_model_dir))
}

fn embedder() -> Rc<Embedder> {
    let dir = model_dir();
    if let Some(e) = MODEL.with_borrow(|m| m.as_ref().filter(|(d, _)| *d == dir).map(|(_, e)| e.clone())) {
        return e;
    }
    // First use in this backend: rayon's pool becomes this thread, before candle runs.
    zava_embed::run_on_this_thread_only();
    match Embedder::load(&dir) {
        Ok(e) => {
            let e = Rc::new(e);
            MODEL.set(Some((dir, e.clone())));
            CACHE.set(EmbeddingCache::new(CACHE_ENTRIES, CACHE_BYTES));
            e
        }
        Err(err @ EmbedError::Missing { .. }) => {
            raise_hint(PgSqlErrorCode::ERRCODE_UNDEFINED_FILE, format!("zava.embed: {err}"), SETUP_HINT)
        }
        Err(err) => raise_hint(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("zava.embed: {err}"), SETUP_HINT),
    }
}

fn require_utf8() {
    // SAFETY: reads the database encoding of this backend.
    if unsafe { pg_sys::GetDatabaseEncoding() } != pg_sys::pg_enc::PG_UTF8 as i32 {
        raise_hint(
            PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
            "zava.embed needs a UTF8 database",
            "Create the database with ENCODING 'UTF8'.",
        );
    }
}

fn failed(err: EmbedError) -> ! {
    raise_hint(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("zava.embed: {err}"), SETUP_HINT)
}

/// The sentence embedding of `text`: a `vector(384)` of unit length (cosine
/// distance `<=>` compares meanings). Texts longer than 256 tokens are
/// truncated; `''` is the model's embedding of the empty text. STRICT: NULL in,
/// NULL out. A text this backend embedded before with the same model comes
/// from its cache (the same numbers, no forward pass).
#[pg_extern(stable, strict, parallel_safe)]
fn embed(text: &str) -> Vector {
    require_utf8();
    let model = embedder();
    if let Some(v) = CACHE.with_borrow_mut(|c| c.get(text)) {
        return Vector(v);
    }
    let v = model.embed(text).unwrap_or_else(|e| failed(e));
    CACHE.with_borrow_mut(|c| c.insert(text, v.clone()));
    Vector(v)
}

/// This backend's cache of query embeddings: `{"entries", "bytes", "hits",
/// "misses", "max_entries", "max_bytes"}`. Only the calling backend's own use.
#[pg_extern(volatile, parallel_safe)]
fn embed_cache_stats() -> pgrx::JsonB {
    let s = CACHE.with_borrow(|c| c.stats());
    pgrx::JsonB(serde_json::json!({
        "entries": s.entries, "bytes": s.bytes, "hits": s.hits, "misses": s.misses,
        "max_entries": CACHE_ENTRIES, "max_bytes": CACHE_BYTES,
    }))
}

/// Whether a backend could load the model now, without loading it (a few
/// kilobytes read: `zava_embed::check`), for `zava.health()`:
/// `{"loadable", "loaded_here", "model", "dimensions", "dir"}` and, when not
/// loadable, `"error"` naming the file and why. Never raises. Not for PUBLIC
/// (it names a server path).
#[pg_extern(volatile, parallel_safe)]
fn embedding_model_status() -> pgrx::JsonB {
    let dir = model_dir();
    let loaded_here = MODEL.with_borrow(|m| m.as_ref().is_some_and(|(d, _)| *d == dir));
    let mut status = serde_json::json!({
        "loadable": true, "loaded_here": loaded_here, "model": zava_embed::MODEL_NAME, "dimensions": DIM,
        "dir": dir.display().to_string(),
    });
    if let Err(e) = zava_embed::check(&dir) {
        status["loadable"] = false.into();
        status["error"] = e.to_string().into();
    }
    pgrx::JsonB(status)
}

/// The embeddings of many texts, in order (NULL elements stay NULL), computed
/// 16 per forward pass; cancel and `statement_timeout` stop it between passes.
#[pg_extern(stable, strict, parallel_safe)]
fn embed_batch(texts: Array<&str>) -> VectorArray {
    require_utf8();
    let model = embedder();
    let texts: Vec<Option<&str>> = texts.iter().collect();
    let present: Vec<&str> = texts.iter().flatten().copied().collect();
    let mut vectors = Vec::with_capacity(present.len());
    for chunk in present.chunks(BATCH_CHUNK) {
        pg_sys::check_for_interrupts!();
        vectors.extend(model.embed_batch(chunk).unwrap_or_else(|e| failed(e)));
    }
    let mut vectors = vectors.into_iter();
    VectorArray(texts.iter().map(|t| t.and_then(|_| vectors.next())).collect())
}

/// A pgvector `vector` value built in Rust.
pub struct Vector(pub Vec<f32>);
/// A `vector[]` built in Rust (NULL elements allowed).
pub struct VectorArray(pub Vec<Option<Vec<f32>>>);

pgrx::impl_sql_translatable!(Vector, "vector");
pgrx::impl_sql_translatable!(VectorArray, "vector[]");

/// pgvector's `vector` and its array type, as installed in this database.
#[derive(Clone, Copy)]
struct VectorType {
    oid: pg_sys::Oid,
    align: std::ffi::c_char,
}

thread_local! {
    static VECTOR_TYPE: std::cell::Cell<Option<VectorType>> = const { std::cell::Cell::new(None) };
}

fn vector_type() -> VectorType {
    if let Some(t) = VECTOR_TYPE.get() {
        return t;
    }
    let oid = Spi::get_one::<pg_sys::Oid>(
        "SELECT t.oid FROM pg_catalog.pg_type t
           JOIN pg_catalog.pg_extension e ON e.extnamespace = t.typnamespace
          WHERE e.extname = 'vector' AND t.typname = 'vector'",
    );
    let Ok(Some(oid)) = oid else {
        raise_hint(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            "zava.embed: the vector type of pgvector is not installed in this database",
            "CREATE EXTENSION vector (CREATE EXTENSION zava CASCADE installs it).",
        );
    };
    let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
    // SAFETY: catalog look-up of a type that exists.
    unsafe { pg_sys::get_typlenbyvalalign(oid, &mut len, &mut byval, &mut align) };
    let t = VectorType { oid, align };
    VECTOR_TYPE.set(Some(t));
    t
}

/// pgvector's on-disk layout (`struct Vector` in pgvector's vector.h, unchanged
/// since its first release): varlena header, int16 dim, int16 unused, float4[dim].
fn vector_datum(values: &[f32]) -> pg_sys::Datum {
    debug_assert_eq!(values.len(), DIM);
    let size = 4 + 2 + 2 + 4 * values.len();
    // SAFETY: palloc0 returns `size` writable bytes, maximally aligned; every
    // write below stays inside them; the result is a valid varlena.
    unsafe {
        let p = pg_sys::palloc0(size) as *mut u8;
        pgrx::set_varsize_4b(p.cast(), size as i32);
        p.add(4).cast::<i16>().write(values.len() as i16);
        std::ptr::copy_nonoverlapping(values.as_ptr(), p.add(8).cast::<f32>(), values.len());
        pg_sys::Datum::from(p)
    }
}

impl IntoDatum for Vector {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(vector_datum(&self.0))
    }

    fn type_oid() -> pg_sys::Oid {
        vector_type().oid
    }
}

impl IntoDatum for VectorArray {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let t = vector_type();
        let n = self.0.len();
        let mut datums: Vec<pg_sys::Datum> = Vec::with_capacity(n);
        let mut nulls: Vec<bool> = Vec::with_capacity(n);
        for v in &self.0 {
            match v {
                Some(v) => {
                    datums.push(vector_datum(v));
                    nulls.push(false);
                }
                None => {
                    datums.push(pg_sys::Datum::from(0));
                    nulls.push(true);
                }
            }
        }
        let mut dims = [n as i32];
        let mut lbs = [1i32];
        // SAFETY: `datums`/`nulls` hold n elements of the vector type (varlena,
        // by reference, its own alignment); construct_md_array copies them.
        let array = unsafe {
            pg_sys::construct_md_array(
                datums.as_mut_ptr(),
                nulls.as_mut_ptr(),
                1,
                dims.as_mut_ptr(),
                lbs.as_mut_ptr(),
                t.oid,
                -1,
                false,
                t.align,
            )
        };
        Some(pg_sys::Datum::from(array))
    }

    fn type_oid() -> pg_sys::Oid {
        // SAFETY: catalog look-up of the array type of a valid type.
        unsafe { pg_sys::get_array_type(vector_type().oid) }
    }
}

box_ret!(Vector);
box_ret!(VectorArray);
