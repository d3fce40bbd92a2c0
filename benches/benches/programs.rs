//! Real programs (`programs/src/lib.rs`, compiled to wasm32 by the build
//! script) on Kiln and, side by side in the same run, on native Rust and,
//! with `--features wasmtime`, on the `wasmtime` crate. Every engine's
//! result is checked against the native one before anything is timed.
//!
//! Groups: `compile_programs` (validating and compiling the programs'
//! module, throughput in bytes) and `program_<name>` (one call of each
//! entry point, in a long-lived instance). A summary table with the ratios
//! is printed at the end, then a second one from interleaved rounds (see
//! [`interleaved`]).
//!
//! `cargo bench -p kiln-benches --bench programs [--features wasmtime]`

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use kiln_bench_programs::entry;
use kiln_benches::{PROGRAMS_WASM, report};
use std::hint::black_box;

/// One benchmark program: its export, its arguments (all `i32`), and the
/// same computation natively.
struct Program {
    name: &'static str,
    args: &'static [i32],
    native: fn(&mut NativeScratch, &[i32]) -> u64,
}

/// The native build's scratch buffers (the wasm build uses statics).
struct NativeScratch {
    data: Vec<u8>,
    out: Vec<u8>,
    mats: Vec<f64>,
}

impl NativeScratch {
    fn new() -> NativeScratch {
        NativeScratch {
            data: vec![0; entry::BUF],
            out: vec![0; entry::BUF],
            mats: vec![0.0; entry::MATS],
        }
    }
}

const PROGRAMS: &[Program] = &[
    Program {
        name: "fib",
        args: &[30],
        native: |_, a| entry::fib(a[0] as u32),
    },
    Program {
        name: "sha256",
        args: &[4 << 20],
        native: |s, a| entry::sha256(&mut s.data, a[0] as usize),
    },
    Program {
        name: "matmul",
        args: &[256],
        native: |s, a| entry::matmul(&mut s.mats, a[0] as usize).to_bits(),
    },
    Program {
        name: "sieve",
        args: &[4 << 20],
        native: |s, a| u64::from(entry::sieve(&mut s.data, a[0] as usize)),
    },
    Program {
        name: "json",
        args: &[20_000],
        native: |s, a| entry::json(&mut s.out, a[0] as usize),
    },
    Program {
        name: "memcopy",
        args: &[4096, 64],
        native: |s, a| entry::memcopy(&mut s.data, &mut s.out, a[0] as usize, a[1] as usize),
    },
];

/// The columns of the table, as they name benchmark ids; Kiln first.
const ENGINES: &[&str] = if cfg!(feature = "wasmtime") {
    &["kiln", "wasmtime", "native"]
} else {
    &["kiln", "native"]
};

/// Defines `$name`, a runner over the engine crate `$rt` (`$engine` in
/// messages), configured as it is by default: one module, one instance
/// for every program. Kiln's and Wasmtime's APIs agree on these steps, so
/// one body serves both and they measure the same thing.
macro_rules! runner {
    ($name:ident, $rt:ident, $engine:literal) => {
        struct $name {
            store: $rt::Store<()>,
            instance: $rt::Instance,
        }

        impl $name {
            fn new() -> $name {
                let engine = $rt::Engine::default();
                let module = $rt::Module::from_binary(&engine, PROGRAMS_WASM)
                    .expect(concat!("the programs compile on ", $engine));
                let mut store = $rt::Store::new(&engine, ());
                let instance = $rt::Instance::new(&mut store, &module, &[])
                    .expect(concat!("the programs instantiate on ", $engine));
                $name { store, instance }
            }

            /// Calls export `name`; returns its result as raw bits, so
            /// integers and floats compare exactly.
            fn call(&mut self, name: &str, args: &[i32]) -> u64 {
                let func = self
                    .instance
                    .get_func(&mut self.store, name)
                    .expect("program export");
                let args: Vec<_> = args.iter().map(|&a| $rt::Val::I32(a)).collect();
                let mut results = [$rt::Val::I32(0)];
                func.call(&mut self.store, &args, &mut results)
                    .expect(concat!("the program runs on ", $engine));
                match results[0] {
                    $rt::Val::I32(x) => u64::from(x as u32),
                    $rt::Val::I64(x) => x as u64,
                    $rt::Val::F32(x) => u64::from(x),
                    $rt::Val::F64(x) => x,
                    ref other => panic!("unexpected result {other:?}"),
                }
            }
        }
    };
}

runner!(KilnRunner, kiln_runtime, "Kiln");
#[cfg(feature = "wasmtime")]
runner!(WasmtimeRunner, wasmtime, "Wasmtime");

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_programs");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(PROGRAMS_WASM.len() as u64));
    let engine = kiln_runtime::Engine::default();
    group.bench_function("kiln", |b| {
        b.iter(|| kiln_runtime::Module::from_binary(&engine, black_box(PROGRAMS_WASM)).unwrap());
    });
    #[cfg(feature = "wasmtime")]
    {
        let engine = wasmtime::Engine::default();
        group.bench_function("wasmtime", |b| {
            b.iter(|| wasmtime::Module::from_binary(&engine, black_box(PROGRAMS_WASM)).unwrap());
        });
    }
    group.finish();
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_millis(500));
}

fn execute(c: &mut Criterion) {
    let mut kiln = KilnRunner::new();
    #[cfg(feature = "wasmtime")]
    let mut wasmtime = WasmtimeRunner::new();
    let mut scratch = NativeScratch::new();
    for program in PROGRAMS {
        let expected = (program.native)(&mut scratch, program.args);
        assert_eq!(
            kiln.call(program.name, program.args),
            expected,
            "Kiln's result for {} differs from native",
            program.name
        );
        #[cfg(feature = "wasmtime")]
        assert_eq!(
            wasmtime.call(program.name, program.args),
            expected,
            "Wasmtime's result for {} differs from native",
            program.name
        );

        let mut group = c.benchmark_group(format!("program_{}", program.name));
        configure(&mut group);
        group.bench_function("kiln", |b| {
            b.iter(|| kiln.call(program.name, black_box(program.args)));
        });
        #[cfg(feature = "wasmtime")]
        group.bench_function("wasmtime", |b| {
            b.iter(|| wasmtime.call(program.name, black_box(program.args)));
        });
        group.bench_function("native", |b| {
            b.iter(|| (program.native)(&mut scratch, black_box(program.args)));
        });
        group.finish();
    }
}

/// Rounds of the interleaved comparison.
const ROUNDS: usize = 21;

/// The interleaved comparison. Criterion measures one engine for seconds,
/// then the next, so on a shared machine whose speed drifts (a VM whose
/// neighbours come and go) a ratio of two medians mixes the engines with
/// the drift. Here every round runs each program once on every engine, in
/// an order that rotates from round to round, and a ratio is the median
/// of the rounds' ratios: both sides of each ratio ran within
/// milliseconds of each other. Programs criterion did not measure in this
/// run (filtered out) are skipped. Returns the rows: per engine the
/// median time, then the paired ratios of Kiln to each other engine.
fn interleaved(run: &report::Run) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let mut kiln = KilnRunner::new();
    #[cfg(feature = "wasmtime")]
    let mut wasmtime = WasmtimeRunner::new();
    let mut scratch = NativeScratch::new();
    let mut rows = Vec::new();
    for program in PROGRAMS {
        if run
            .median_ns(&format!("program_{}", program.name), "kiln")
            .is_none()
        {
            continue;
        }
        let times = rotating_rounds(ENGINES.len(), |e| {
            match ENGINES[e] {
                "kiln" => black_box(kiln.call(program.name, black_box(program.args))),
                #[cfg(feature = "wasmtime")]
                "wasmtime" => black_box(wasmtime.call(program.name, black_box(program.args))),
                _ => black_box((program.native)(&mut scratch, black_box(program.args))),
            };
        });
        rows.push(paired_row(program.name, &times));
    }
    rows
}

/// `ROUNDS` rounds (after one to warm up), each running `run(e)` once
/// for every engine `e` below `engines`, starting at a different engine
/// each round; returns the times in nanoseconds, `[engine][round]`.
fn rotating_rounds(engines: usize, mut run: impl FnMut(usize)) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(ROUNDS); engines];
    for round in 0..ROUNDS + 1 {
        for k in 0..engines {
            let e = (round + k) % engines;
            let start = std::time::Instant::now();
            run(e);
            if round > 0 {
                times[e].push(start.elapsed().as_secs_f64() * 1e9);
            }
        }
    }
    times
}

/// Per engine the median of `times[engine]`, and the median over rounds
/// of Kiln's time (engine 0) over each other engine's.
fn paired_row(name: &str, times: &[Vec<f64>]) -> (String, Vec<f64>, Vec<f64>) {
    let median = |v: Vec<f64>| kiln_benches::median(v).expect("at least one round");
    let medians = times.iter().map(|t| median(t.clone())).collect();
    let ratios = times[1..]
        .iter()
        .map(|other| median(times[0].iter().zip(other).map(|(k, o)| k / o).collect()))
        .collect();
    (name.to_string(), medians, ratios)
}

/// Compiles the programs' module on each compiler in turn, `ROUNDS`
/// times, as [`interleaved`] runs programs.
fn interleaved_compile(compilers: &[&str]) -> (String, Vec<f64>, Vec<f64>) {
    let engine = kiln_runtime::Engine::default();
    #[cfg(feature = "wasmtime")]
    let wasmtime_engine = wasmtime::Engine::default();
    let times = rotating_rounds(compilers.len(), |e| match compilers[e] {
        "kiln" => drop(black_box(
            kiln_runtime::Module::from_binary(&engine, black_box(PROGRAMS_WASM)).unwrap(),
        )),
        #[cfg(feature = "wasmtime")]
        "wasmtime" => drop(black_box(
            wasmtime::Module::from_binary(&wasmtime_engine, black_box(PROGRAMS_WASM)).unwrap(),
        )),
        other => unreachable!("no compiler {other}"),
    });
    paired_row("programs.wasm", &times)
}

/// Prints the interleaved comparison's rows: median times, then paired
/// ratios with their geometric mean.
fn print_paired(title: &str, columns: &[&str], rows: &[(String, Vec<f64>, Vec<f64>)]) {
    if rows.is_empty() || columns.len() < 2 {
        return;
    }
    const MEAN: &str = "geometric mean";
    let width = rows.iter().map(|r| r.0.len()).fold(MEAN.len(), usize::max) + 2;
    println!("\n{title}");
    let mut header = " ".repeat(width);
    for c in columns {
        header += &format!("{c:>14}");
    }
    for c in &columns[1..] {
        header += &format!("{:>18}", format!("{}/{c}", columns[0]));
    }
    println!("{header}");
    for (name, medians, ratios) in rows {
        let mut line = format!("{name:<width$}");
        for m in medians {
            line += &format!("{:>14}", report::format_ns(*m));
        }
        for r in ratios {
            line += &format!("{:>17.3}x", r);
        }
        println!("{line}");
    }
    let mut line = format!("{MEAN:<width$}{}", " ".repeat(14 * columns.len()));
    for i in 0..columns.len() - 1 {
        let mean = rows.iter().map(|r| r.2[i].ln()).sum::<f64>() / rows.len() as f64;
        line += &format!("{:>17.3}x", mean.exp());
    }
    println!("{line}");
}

fn main() {
    let (mut c, run) = report::Run::start();
    compile(&mut c);
    execute(&mut c);
    c.final_summary();

    let rows: Vec<_> = PROGRAMS
        .iter()
        .map(|p| {
            let group = format!("program_{}", p.name);
            let times = ENGINES.iter().map(|e| run.median_ns(&group, e)).collect();
            (p.name.to_string(), times)
        })
        .collect();
    report::print_table("execution (median per call)", ENGINES, &rows);
    let compilers: Vec<_> = ENGINES.iter().copied().filter(|e| *e != "native").collect();
    let times = compilers
        .iter()
        .map(|e| run.median_ns("compile_programs", e))
        .collect();
    let kib = PROGRAMS_WASM.len() as f64 / 1024.0;
    report::print_table(
        &format!("compile ({kib:.1} KiB of wasm; median)"),
        &compilers,
        &[("programs.wasm".to_string(), times)],
    );

    if listing_or_testing() {
        return;
    }
    print_paired(
        &format!(
            "execution, {ROUNDS} interleaved rounds (median; ratio: median of the rounds' ratios)"
        ),
        ENGINES,
        &interleaved(&run),
    );
    if compilers.len() > 1 && run.median_ns("compile_programs", "kiln").is_some() {
        print_paired(
            &format!("compile, {ROUNDS} interleaved rounds"),
            &compilers,
            &[interleaved_compile(&compilers)],
        );
    }
}

/// True when the benchmark binary runs as a test (`cargo test --benches`,
/// `--test`) or only lists benchmarks: no timing then.
fn listing_or_testing() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}
