//! `--log-file`: a log file that never grows past its bound. When a line would
//! take it over `--log-max-mb`, the file becomes `<path>.1` (replacing the
//! previous one) and a new file starts, so the logs never take more than twice
//! the bound on disk and the newest lines are always in `<path>`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct RotatingFile {
    inner: Mutex<Current>,
}

struct Current {
    path: PathBuf,
    max_bytes: u64,
    file: File,
    written: u64,
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64) -> io::Result<RotatingFile> {
        let file = open_append(path)?;
        let written = file.metadata()?.len();
        Ok(RotatingFile { inner: Mutex::new(Current { path: path.to_owned(), max_bytes, file, written }) })
    }
}

impl Current {
    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, old)?;
        self.file = open_append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

/// tracing-subscriber writes each formatted line with one `write_all`, so a
/// file only ever turns over between lines.
impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A poisoned lock means a write panicked; the file is still usable.
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if c.written > 0 && c.written + buf.len() as u64 > c.max_bytes {
            c.rotate()?;
        }
        c.file.write_all(buf)?;
        c.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_turns_over_at_its_bound_and_keeps_one_older_file() {
        let dir = std::env::temp_dir().join(format!("zava-logfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("zava-mcp.log");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(dir.join("zava-mcp.log.1"));
        let log = RotatingFile::open(&path, 1000).unwrap();
        let line = |i: usize| format!("{{\"line\":{i:05},\"pad\":\"{}\"}}\n", "x".repeat(70));
        for i in 0..100 {
            (&log).write_all(line(i).as_bytes()).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap();
        let older = std::fs::read_to_string(dir.join("zava-mcp.log.1")).unwrap();
        assert!(current.len() <= 1000 && older.len() <= 1000, "{} and {}", current.len(), older.len());
        assert!(current.ends_with(&line(99)), "the newest line is in the current file");
        assert!(older.lines().chain(current.lines()).all(|l| l.len() == line(0).len() - 1), "whole lines only");
        let numbers: Vec<usize> = older.lines().chain(current.lines()).map(|l| l[8..13].parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "the two files hold the newest lines in order");
        // Reopened, it continues where it was, within the bound.
        drop(log);
        let log = RotatingFile::open(&path, 1000).unwrap();
        (&log).write_all(line(100).as_bytes()).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() <= 1000);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
