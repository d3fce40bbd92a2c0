//! End-to-end tests of the `kiln` binary: output format, exit codes, and
//! error lines, as a user or script sees them.

use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs the built `kiln` with `args` (under emulation if the tests are).
fn kiln(args: &[&str]) -> Output {
    kiln_runtime::target_command(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .output()
        .expect("spawn kiln")
}

/// Writes `contents` to a file named `name` in this test target's
/// scratch directory and returns its path.
fn scratch(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kiln-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts `kiln` failed with status 1 and exactly one `error: ...` line.
fn assert_one_error_line(out: &Output, contains: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(err.contains(contains), "expected `{contains}` in: {err}");
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(out));
}

const VALUES_WAT: &str = r#"(module
  (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "neg64") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
  (func (export "id32") (param f32) (result f32) local.get 0)
  (func (export "id64") (param f64) (result f64) local.get 0)
  (func (export "many") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    local.get 3 local.get 2 local.get 1 local.get 0)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nothing")))"#;

#[test]
fn runs_the_fib_example() {
    let out = kiln(&["run", &example("fib.wat"), "--invoke", "fib", "20"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "6765\n");
    let out = kiln(&["run", &example("gcd.wat"), "--invoke", "gcd", "1071", "462"]);
    assert_eq!(stdout(&out), "21\n", "{}", stderr(&out));
}

/// Runs `kiln run FILE --invoke FUNC ARG` for each `(FUNC, ARG, STDOUT)`
/// and checks that it succeeds with exactly that output.
fn check_invocations(file: &str, cases: &[(&str, &str, &str)]) {
    for (func, arg, want) in cases {
        let out = kiln(&["run", file, "--invoke", func, arg]);
        assert!(out.status.success(), "{func} {arg}: {}", stderr(&out));
        assert_eq!(stdout(&out), *want, "{func} {arg}");
    }
}

#[test]
fn integer_arguments_and_results() {
    let file = scratch("values.wat", VALUES_WAT);
    let file = file.to_str().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("neg", "-1", "1\n"),
        ("neg", "-0", "0\n"),
        ("neg", "5", "-5\n"),
        ("neg", "-2147483648", "-2147483648\n"),
        ("neg", "4294967295", "1\n"),
        ("neg", "0x10", "-16\n"),
        ("neg64", "-9223372036854775808", "-9223372036854775808\n"),
        ("neg64", "18446744073709551615", "1\n"),
    ];
    check_invocations(file, cases);
}

#[test]
fn float_arguments_and_results_round_trip() {
    let file = scratch("floats.wat", VALUES_WAT);
    let file = file.to_str().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("id32", "2.5", "2.5\n"),
        ("id32", "-0", "-0\n"),
        ("id32", "0.1", "0.1\n"),
        ("id32", "inf", "inf\n"),
        ("id32", "-inf", "-inf\n"),
        ("id32", "nan", "nan\n"),
        ("id32", "-nan", "-nan\n"),
        ("id32", "nan:0x200000", "nan:0x200000\n"),
        ("id32", "0x1p-3", "0.125\n"),
        ("id64", "-2.5", "-2.5\n"),
        ("id64", "0.1", "0.1\n"),
        ("id64", "-nan:0x1", "-nan:0x1\n"),
        ("id64", "1e300", &format!("{}\n", 1e300f64)),
    ];
    check_invocations(file, cases);
    // Several parameters and results, one result per line.
    let out = kiln(&["run", file, "--invoke", "many", "-7", "-8", "-0.5", "1.5"]);
    assert_eq!(stdout(&out), "1.5\n-0.5\n-8\n-7\n", "{}", stderr(&out));
    // No results, no output.
    let out = kiln(&["run", file, "--invoke", "nothing"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
}

#[test]
fn binary_modules_run_too() {
    let wasm = wat::parse_str(VALUES_WAT).unwrap();
    let file = scratch("values.wasm", wasm);
    let out = kiln(&["run", file.to_str().unwrap(), "--invoke", "neg", "3"]);
    assert_eq!(stdout(&out), "-3\n", "{}", stderr(&out));
}

#[test]
fn a_trap_exits_134_with_the_trap_on_stderr() {
    let file = scratch("trap.wat", VALUES_WAT);
    let out = kiln(&["run", file.to_str().unwrap(), "--invoke", "div", "1", "0"]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("wasm trap: integer divide by zero\n"),
        "{err}"
    );

    let out = kiln(&[
        "run",
        file.to_str().unwrap(),
        "--invoke",
        "div",
        "-2147483648",
        "-1",
    ]);
    assert_eq!(out.status.code(), Some(134));
    assert!(stderr(&out).starts_with("wasm trap: integer overflow"));
}

#[test]
fn start_is_called_without_invoke() {
    let traps = scratch(
        "start.wat",
        r#"(module (func (export "_start") unreachable))"#,
    );
    let out = kiln(&["run", traps.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("wasm trap: unreachable"));

    let quiet = scratch("nostart.wat", r#"(module (func (export "f") unreachable))"#);
    let out = kiln(&["run", quiet.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn errors_are_one_line_and_exit_1() {
    let file = scratch("errors.wat", VALUES_WAT);
    let file = file.to_str().unwrap();
    assert_one_error_line(&kiln(&["run", file, "--invoke", "missing"]), "missing");
    assert_one_error_line(
        &kiln(&["run", file, "--invoke", "neg"]),
        "expects 1 argument",
    );
    assert_one_error_line(
        &kiln(&["run", file, "--invoke", "neg", "1", "2"]),
        "expects 1",
    );
    assert_one_error_line(
        &kiln(&["run", file, "--invoke", "neg", "x"]),
        "invalid i32 argument `x`",
    );
    assert_one_error_line(
        &kiln(&["run", file, "--invoke", "neg", "4294967296"]),
        "invalid i32",
    );
    assert_one_error_line(
        &kiln(&["run", file, "--invoke", "id32", "1.5.2"]),
        "invalid f32",
    );

    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("does-not-exist.wat");
    assert_one_error_line(
        &kiln(&["run", missing.to_str().unwrap()]),
        "does-not-exist.wat",
    );

    let bad = scratch("bad.wat", "(module (func (export \"f\")");
    assert_one_error_line(&kiln(&["run", bad.to_str().unwrap()]), "bad.wat");

    let invalid = scratch("invalid.wat", "(module (func (result i32)))");
    assert_one_error_line(&kiln(&["run", invalid.to_str().unwrap()]), "invalid.wat");

    let garbage = scratch("garbage.wasm", b"\0asm\x02\0\0\0");
    assert_one_error_line(&kiln(&["run", garbage.to_str().unwrap()]), "garbage.wasm");

    let imports = scratch(
        "imports.wat",
        r#"(module (import "env" "f" (func)) (func (export "g")))"#,
    );
    let out = kiln(&["run", imports.to_str().unwrap(), "--invoke", "g"]);
    assert_one_error_line(&out, "unknown import: `env::f`");

    assert_one_error_line(&kiln(&["run"]), "FILE");
    assert_one_error_line(&kiln(&["frobnicate"]), "unknown command");
}

#[test]
fn help_and_version() {
    let out = kiln(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("kiln run [--fuel N] [--timeout DURATION] [--repeat N] [--profile perfmap]")
            && text.contains("FILE [--invoke NAME] [ARGS...]")
            && text.contains("kiln wast FILE"),
        "{text}"
    );
    let out = kiln(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("kiln {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn wast_reports_per_file_and_total() {
    let good = scratch(
        "good.wast",
        r#"(module (func (export "add") (param i32 i32) (result i32)
              (i32.add (local.get 0) (local.get 1))))
           (assert_return (invoke "add" (i32.const 1) (i32.const -1)) (i32.const 0))
           (assert_trap (module (func $s unreachable) (start $s)) "unreachable")"#,
    );
    let bad = scratch(
        "bad.wast",
        r#"(module (func (export "one") (result i32) (i32.const 1)))
           (assert_return (invoke "one") (i32.const 2))"#,
    );
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());

    let out = kiln(&["wast", good]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{good}: 3 passed, 0 failed\n3 passed, 0 failed\n")
    );

    let out = kiln(&["wast", good, bad]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{bad}: 1 passed, 1 failed\n")),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("4 passed, 1 failed"));
    assert!(
        stderr(&out).contains(&format!("{bad}:2:")),
        "{}",
        stderr(&out)
    );

    let unparsable = scratch("unparsable.wast", "(module");
    let out = kiln(&["wast", unparsable.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

const TRAPS_WAT: &str = r#"(module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $unreachable)
  (type $i (func (result i64)))
  (func $unreachable (export "unreachable") unreachable)
  (func (export "div") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32)
    (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "memory") (result i32) (i32.load (i32.const 65535)))
  (func $recurse (export "recurse") (result i32)
    (i32.add (call $recurse) (i32.const 1)))
  (func (export "table") (call_indirect (i32.const 5)))
  (func (export "uninitialized") (call_indirect (i32.const 1)))
  (func (export "mismatch") (result i64) (call_indirect (type $i) (i32.const 0)))
  (func (export "spin") (loop $l (br $l)))
)"#;

#[test]
fn every_trap_code_from_kiln_run() {
    let file = scratch("traps.wat", TRAPS_WAT);
    let file = file.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--invoke", "unreachable"], "unreachable"),
        (&["--invoke", "div"], "integer divide by zero"),
        (&["--invoke", "overflow"], "integer overflow"),
        (&["--invoke", "conversion"], "invalid conversion to integer"),
        (&["--invoke", "memory"], "out of bounds memory access"),
        (&["--invoke", "recurse"], "call stack exhausted"),
        (&["--invoke", "table"], "undefined element"),
        (&["--invoke", "uninitialized"], "uninitialized element"),
        (&["--invoke", "mismatch"], "indirect call type mismatch"),
    ];
    for (args, message) in cases {
        let mut all = vec!["run", file];
        all.extend_from_slice(args);
        let out = kiln(&all);
        assert_eq!(out.status.code(), Some(134), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("wasm trap: {message}\n")),
            "{args:?}: {err}"
        );
        assert!(err.contains("wasm backtrace:"), "{args:?}: {err}");
    }

    // A runaway loop, stopped by fuel and by a timeout (epochs).
    let out = kiln(&["run", "--fuel", "100000", file, "--invoke", "spin"]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("wasm trap: all fuel consumed"));
    let out = kiln(&["run", "--timeout", "50ms", file, "--invoke", "spin"]);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("wasm trap: interrupt"));

    // Fuel that suffices changes nothing.
    let fib = example("fib.wat");
    let out = kiln(&["run", "--fuel", "100000000", &fib, "--invoke", "fib", "20"]);
    assert_eq!(stdout(&out), "6765\n", "{}", stderr(&out));
    let out = kiln(&["run", "--timeout", "60s", &fib, "--invoke", "fib", "20"]);
    assert_eq!(stdout(&out), "6765\n", "{}", stderr(&out));
    assert_one_error_line(&kiln(&["run", "--fuel", "lots", &fib]), "invalid fuel");
    assert_one_error_line(
        &kiln(&["run", "--timeout", "soon", &fib]),
        "invalid duration",
    );
}

#[test]
fn repeat_instantiates_fresh_each_time() {
    // Each run starts from the initial global and memory: a fresh store.
    let file = scratch(
        "counter.wat",
        r#"(module
          (global $n (mut i32) (i32.const 0))
          (memory 1)
          (data (i32.const 0) "\05")
          (func (export "bump") (param i32) (result i32)
            (global.set $n (i32.add (global.get $n) (local.get 0)))
            (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
            (i32.add (global.get $n) (i32.load8_u (i32.const 0)))))"#,
    );
    let file = file.to_str().unwrap();
    let out = kiln(&["run", "--repeat", "500", file, "--invoke", "bump", "10"]);
    assert_eq!(stdout(&out), "16\n", "{}", stderr(&out));
    let out = kiln(&["run", "--repeat=3", file, "--invoke", "bump", "-1"]);
    assert_eq!(stdout(&out), "5\n", "{}", stderr(&out));
    assert_one_error_line(&kiln(&["run", "--repeat", "0", file]), "invalid repeat");
    assert_one_error_line(&kiln(&["run", "--repeat", "x", file]), "invalid repeat");
}

#[test]
fn compile_then_run_the_precompiled_module() {
    let src = scratch("pre.wat", VALUES_WAT);
    let out_path = src.with_extension("cwasm");
    let _ = std::fs::remove_file(&out_path);
    let out = kiln(&["compile", src.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let cwasm = out_path.to_str().unwrap();
    let out = kiln(&["run", cwasm, "--invoke", "neg", "-7"]);
    assert_eq!(stdout(&out), "7\n", "{}", stderr(&out));
    let out = kiln(&["run", cwasm, "--invoke", "many", "1", "-2", "2.5", "-0"]);
    assert_eq!(stdout(&out), "-0\n2.5\n-2\n1\n", "{}", stderr(&out));
    // Traps keep their wasm offsets and wording.
    let out = kiln(&["run", cwasm, "--invoke", "div", "1", "0"]);
    assert_eq!(out.status.code(), Some(134));
    let err = stderr(&out);
    assert!(
        err.starts_with("wasm trap: integer divide by zero\n"),
        "{err}"
    );
    assert!(err.contains("0x"), "{err}");

    // `-o` names the output; compiled with fuel, it runs with `--fuel`.
    let fueled = src.with_file_name("pre-fuel.cwasm");
    let out = kiln(&[
        "compile",
        "--fuel",
        src.to_str().unwrap(),
        "-o",
        fueled.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kiln(&[
        "run",
        "--fuel",
        "1000",
        fueled.to_str().unwrap(),
        "--invoke",
        "neg",
        "1",
    ]);
    assert_eq!(stdout(&out), "-1\n", "{}", stderr(&out));
    // ... and without, the settings mismatch is named.
    let out = kiln(&["run", fueled.to_str().unwrap(), "--invoke", "neg", "1"]);
    assert_one_error_line(&out, "kiln.consume_fuel");

    // A damaged file is one error line, never a crash.
    let bytes = std::fs::read(&out_path).unwrap();
    let cut = scratch("cut.cwasm", &bytes[..bytes.len() / 2]);
    let out = kiln(&["run", cut.to_str().unwrap(), "--invoke", "neg", "1"]);
    assert_one_error_line(&out, "truncated");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    let flipped = scratch("flipped.cwasm", flipped);
    let out = kiln(&["run", flipped.to_str().unwrap(), "--invoke", "neg", "1"]);
    assert_one_error_line(&out, "corrupted");
    let out = kiln(&["compile", cwasm]);
    assert_one_error_line(&out, "already precompiled");
    let out = kiln(&["compile"]);
    assert_one_error_line(&out, "needs a FILE");
}

/// The triple of the other supported architecture than this machine's.
fn other_target() -> &'static str {
    if cfg!(target_arch = "x86_64") {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    }
}

#[test]
fn compile_for_another_target() {
    let src = scratch("cross.wat", VALUES_WAT);
    let other = src.with_file_name("cross-other.cwasm");
    let out = kiln(&[
        "compile",
        "--target",
        other_target(),
        src.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // It is that machine's code: here it is refused, naming the target.
    let out = kiln(&["run", other.to_str().unwrap(), "--invoke", "neg", "1"]);
    assert_one_error_line(&out, &format!("compiled for target {}", other_target()));

    // This machine's own triple named explicitly: baseline CPU features,
    // and it runs here.
    let host = if cfg!(target_arch = "x86_64") {
        "x86_64-unknown-linux-gnu"
    } else {
        "aarch64-unknown-linux-gnu"
    };
    let own = src.with_file_name("cross-own.cwasm");
    let out = kiln(&[
        "compile",
        "--target",
        host,
        src.to_str().unwrap(),
        "-o",
        own.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kiln(&["run", own.to_str().unwrap(), "--invoke", "neg", "-7"]);
    assert_eq!(stdout(&out), "7\n", "{}", stderr(&out));

    let out = kiln(&["compile", "--target", "not-a-triple", src.to_str().unwrap()]);
    assert_one_error_line(&out, "invalid target triple `not-a-triple`");
    let out = kiln(&[
        "compile",
        "--target",
        "riscv64gc-unknown-linux-gnu",
        src.to_str().unwrap(),
    ]);
    assert_one_error_line(&out, "riscv64");
    let out = kiln(&["compile", src.to_str().unwrap(), "--target"]);
    assert_one_error_line(&out, "needs a target triple");
}

#[test]
fn profile_perfmap_names_the_code_for_perf() {
    let wat = scratch(
        "perfmap.wat",
        r#"(module $prog
             (func $add (export "add") (param i32 i32) (result i32)
               local.get 0 local.get 1 i32.add))"#,
    );
    let child = kiln_runtime::target_command(env!("CARGO_BIN_EXE_kiln"))
        .args(["run", "--profile", "perfmap"])
        .arg(&wat)
        .args(["--invoke", "add", "2", "3"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kiln");
    let map = PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "5\n");
    let text = std::fs::read_to_string(&map).expect("the perf map was written");
    std::fs::remove_file(&map).unwrap();
    let line = text
        .lines()
        .find(|l| l.ends_with(" wasm[prog]::function[0]::add"))
        .unwrap_or_else(|| panic!("no line for $add in:\n{text}"));
    let mut fields = line.split(' ');
    for _ in 0..2 {
        let hex = fields.next().unwrap();
        assert!(u64::from_str_radix(hex, 16).unwrap() > 0, "{line}");
    }
    assert!(text.contains("::array_to_wasm_trampoline[0]"), "{text}");
}
