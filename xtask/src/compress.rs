//! Brotli and gzip copies of the release frontend's files, made once at build
//! time at the highest levels (too slow to spend per request); tlswatch
//! serves them to browsers that accept them.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Files worth compressing: text and WebAssembly, not already-compressed images.
const COMPRESSIBLE: [&str; 6] = ["html", "js", "css", "wasm", "svg", "json"];
/// Below this, the headers cost more than compression saves.
const MIN_SIZE: u64 = 1024;

/// Writes `<file>.br` and `<file>.gz` beside every compressible file in `dist`.
pub fn precompress(dist: &Path) -> Result<(), String> {
    for file in compressible_files(dist)? {
        let raw = std::fs::read(&file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        write_beside(&file, "br", &brotli(&raw)?)?;
        write_beside(&file, "gz", &gzip(&raw)?)?;
    }
    Ok(())
}

fn compressible_files(dist: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dist).map_err(|err| format!("cannot list {}: {err}", dist.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", dist.display()))?;
        let path = entry.path();
        let wanted = path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e));
        if wanted && entry.metadata().is_ok_and(|m| m.is_file() && m.len() >= MIN_SIZE) {
            files.push(path);
        }
    }
    Ok(files)
}

pub fn brotli(raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        // Quality 11 with a 4 MiB window: the smallest output brotli makes.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(raw).map_err(|err| format!("brotli: {err}"))?;
    }
    Ok(out)
}

pub fn gzip(raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw).map_err(|err| format!("gzip: {err}"))?;
    encoder.finish().map_err(|err| format!("gzip: {err}"))
}

fn write_beside(file: &Path, suffix: &str, bytes: &[u8]) -> Result<(), String> {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    std::fs::write(&name, bytes).map_err(|err| format!("cannot write {}: {err}", Path::new(&name).display()))
}
