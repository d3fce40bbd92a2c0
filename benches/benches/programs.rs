//! Real programs (`programs/src/lib.rs`, compiled to wasm32 by the build
//! script) on Kiln and, side by side in the same run, on native Rust and,
//! with `--features wasmtime`, on the `wasmtime` crate. Every engine's
//! result is checked against the native one before anything is timed.
//!
//! Groups: `compile_programs` (validating and compiling the programs'
//! module, throughput in bytes) and `program_<name>` (one call of each
//! entry point, in a long-lived instance). A summary table with the ratios
//! is printed at the end.
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
    let mut scratch = NativeScratch {
        data: vec![0; entry::BUF],
        out: vec![0; entry::BUF],
        mats: vec![0.0; entry::MATS],
    };
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
}
