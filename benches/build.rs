//! Compiles `programs/src/lib.rs` to `wasm32-unknown-unknown` for the
//! execution benchmarks (`$OUT_DIR/programs.wasm`), with the same `rustc`
//! that builds everything else. The target must be installed:
//! `rustup target add wasm32-unknown-unknown` (done by `.ci/run`).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let source = manifest.join("programs/src/lib.rs");
    println!("cargo::rerun-if-changed={}", source.display());
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let wasm = out.join("programs.wasm");
    let output = Command::new(&rustc)
        .args([
            "--target",
            "wasm32-unknown-unknown",
            "--crate-type",
            "cdylib",
        ])
        .args(["--crate-name", "programs", "--edition", "2024"])
        .args([
            "-C",
            "opt-level=3",
            "-C",
            "panic=abort",
            "-C",
            "strip=debuginfo",
        ])
        .args(["-C", "codegen-units=1"])
        .arg("-o")
        .arg(&wasm)
        .arg(&source)
        // A build script inherits flags meant for the host (for example
        // coverage or sanitizer flags); none of them apply to this target.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("failed to run rustc");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("may not be installed") || stderr.contains("can't find crate")
        {
            "\nhint: run `rustup target add wasm32-unknown-unknown`"
        } else {
            ""
        };
        panic!("compiling the benchmark programs to wasm32 failed:\n{stderr}{hint}");
    }
}
