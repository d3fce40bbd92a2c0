//! `kiln`: run WebAssembly modules and WebAssembly script (`.wast`) files
//! with the Kiln engine.
//!
//! Exit status: 0 on success, 1 on any error (one `error: ...` line on
//! stderr), 134 when `kiln run` traps (the trap and its wasm backtrace on
//! stderr), as `wasmtime run` does.

use kiln_cli::run::{CompileArgs, RunArgs, compile_file, format_val, run};
use kiln_cli::wast::{one_line, run_wast};
use kiln_runtime::Trap;
use std::process::ExitCode;

const USAGE: &str = "\
Usage:
  kiln run [--fuel N] [--timeout DURATION] [--repeat N] [--profile perfmap]
           FILE [--invoke NAME] [ARGS...]
      Instantiate FILE (.wat or .wasm) with no imports and call export NAME
      with ARGS (or `_start` if exported), printing one result per line.
      --fuel N: meter execution, trapping with `all fuel consumed` after N
      units; --timeout DURATION (`2s`, `100ms`): interrupt the guest then;
      --repeat N: instantiate and call N times, each in a fresh store, from
      the instance-pre cache (compiled once), printing the last results;
      --profile perfmap: name the compiled code for Linux `perf` in
      /tmp/perf-<pid>.map.
      FILE may be a precompiled module from `kiln compile` (recognized by
      its header; it must come from a trusted `kiln compile`).
  kiln compile [--fuel] [--timeout] [--target TRIPLE] FILE [-o OUTPUT]
      Compile FILE to native code and write it to OUTPUT (default: FILE
      with extension .cwasm) for `kiln run` to load without compiling.
      --fuel / --timeout: compile for `kiln run --fuel` / `--timeout`.
      --target: compile for another machine (x86_64-unknown-linux-gnu,
      aarch64-unknown-linux-gnu), for its baseline CPU features.
  kiln wast FILE...
      Run WebAssembly script files and report passed and failed directives.
  kiln --help | --version";

/// Exit status of a trapped `kiln run`, like `wasmtime run` (128 + SIGABRT).
const TRAP_EXIT: u8 = 134;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => fail(&format!("no command given\n{USAGE}")),
        Some("-h" | "--help" | "help") => {
            println!(
                "kiln {}: a WebAssembly engine\n\n{USAGE}",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("kiln {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("run") => cmd_run(&args[1..]),
        Some("wast") => cmd_wast(&args[1..]),
        Some("compile") => match CompileArgs::parse(&args[1..]).and_then(|a| compile_file(&a)) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail(&one_line(&format!("{e:#}"))),
        },
        Some(other) => fail(&format!("unknown command `{other}` (try `kiln --help`)")),
    }
}

/// Prints `error: MESSAGE` to stderr and returns status 1.
fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

fn cmd_run(args: &[String]) -> ExitCode {
    let result = RunArgs::parse(args).and_then(|a| run(&a));
    match result {
        Ok(results) => {
            for v in &results {
                println!("{}", format_val(v));
            }
            ExitCode::SUCCESS
        }
        Err(e) => match e.downcast_ref::<Trap>() {
            Some(trap) => {
                eprintln!("{trap}");
                ExitCode::from(TRAP_EXIT)
            }
            None => fail(&one_line(&format!("{e:#}"))),
        },
    }
}

fn cmd_wast(files: &[String]) -> ExitCode {
    if files.is_empty() {
        return fail("`kiln wast` needs at least one FILE");
    }
    let (mut passed, mut failed, mut broken) = (0, 0, false);
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: failed to read `{file}`: {e}");
                broken = true;
                continue;
            }
        };
        match run_wast(file, &text) {
            Ok(report) => {
                for f in &report.failures {
                    eprintln!("{file}:{}: {}", f.line, f.message);
                }
                println!(
                    "{file}: {} passed, {} failed",
                    report.passed,
                    report.failed()
                );
                passed += report.passed;
                failed += report.failed();
            }
            Err(e) => {
                eprintln!("error: {}", one_line(&format!("{e:#}")));
                broken = true;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
