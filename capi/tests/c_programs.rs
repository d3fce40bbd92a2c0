//! The C API from C: every program in `tests/c/` is compiled with `cc`
//! against `include/` and the `libkiln` this build produced, then run; it
//! checks its own results and exits 0. A second test runs each program
//! under valgrind with leak checking (skipped when valgrind is missing,
//! unless `KILN_REQUIRE_VALGRIND` is set, as CI does). For another
//! architecture, `CC` names its compiler and `KILN_TEST_RUNNER` its
//! emulator (`.ci/aarch64` sets both).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ has a parent")
        .to_path_buf()
}

/// The directory holding this build's `libkiln.so`: the profile directory
/// above the test binary's `deps/`.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf();
    assert!(
        dir.join("libkiln.so").exists(),
        "libkiln.so not found in {} (build the kiln-capi crate first)",
        dir.display()
    );
    dir
}

/// The C programs of `tests/c/`, sorted.
fn programs() -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(root().join("tests/c"))
        .expect("tests/c")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    list.sort();
    assert!(!list.is_empty(), "no C programs in tests/c");
    list
}

/// Compiles `source` into `out_dir`, returning the executable.
fn compile(source: &Path, out_dir: &Path, extra: &[&str]) -> Result<PathBuf, String> {
    let lib = lib_dir();
    let exe = out_dir.join(source.file_stem().expect("file name"));
    let output = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .args(extra)
        .arg("-I")
        .arg(root().join("include"))
        .arg(source)
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lkiln", "-lpthread", "-lm"])
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cc failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(exe)
}

/// Runs `cmd`, returning an error with its output unless it exits 0.
fn run(mut cmd: Command) -> Result<(), String> {
    let output = cmd.output().map_err(|e| format!("cannot run: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Builds and runs every program with `wrap` around the command; panics
/// listing the failures.
fn run_all(label: &str, wrap: impl Fn(&Path) -> Command) {
    let out_dir = lib_dir().join(format!("c-tests-{label}"));
    std::fs::create_dir_all(&out_dir).expect("output directory");
    let mut failures = Vec::new();
    for source in programs() {
        let name = source
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let outcome = compile(&source, &out_dir, &[]).and_then(|exe| run(wrap(&exe)));
        match outcome {
            Ok(()) => println!("{label:>8} {name:<24} ok"),
            Err(e) => {
                println!("{label:>8} {name:<24} FAILED");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn c_programs() {
    run_all("native", |exe| kiln_runtime::target_command(exe));
}

#[test]
fn c_programs_under_valgrind() {
    if std::env::var_os("KILN_TEST_RUNNER").is_some() {
        // Valgrind runs host programs only; this is an emulated build.
        println!("KILN_TEST_RUNNER is set (emulated target): skipped");
        return;
    }
    let available = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("KILN_REQUIRE_VALGRIND").is_none(),
            "KILN_REQUIRE_VALGRIND is set but valgrind is not installed"
        );
        println!("valgrind not installed: skipped");
        return;
    }
    run_all("valgrind", |exe| {
        let mut cmd = Command::new("valgrind");
        cmd.args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
            "--smc-check=all-non-file",
        ])
        .arg(format!(
            "--suppressions={}",
            root().join("tests/c/valgrind.supp").display()
        ))
        .arg(exe);
        cmd
    });
}
