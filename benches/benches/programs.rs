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
use std::time::SystemTime;

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

/// The engines in the table, Kiln first.
fn engines() -> Vec<&'static str> {
    let mut engines = vec!["kiln"];
    if cfg!(feature = "wasmtime") {
        engines.push("wasmtime");
    }
    engines.push("native");
    engines
}

/// A result as raw bits, so integers and floats compare exactly.
fn kiln_bits(v: &kiln_runtime::Val) -> u64 {
    match *v {
        kiln_runtime::Val::I32(x) => u64::from(x as u32),
        kiln_runtime::Val::I64(x) => x as u64,
        kiln_runtime::Val::F32(x) => u64::from(x),
        kiln_runtime::Val::F64(x) => x,
        ref other => panic!("unexpected result {other:?}"),
    }
}

/// Kiln: one module, one instance for every program.
struct KilnRunner {
    store: kiln_runtime::Store<()>,
    instance: kiln_runtime::Instance,
}

impl KilnRunner {
    fn new() -> KilnRunner {
        let engine = kiln_runtime::Engine::default();
        let module = kiln_runtime::Module::from_binary(&engine, PROGRAMS_WASM)
            .expect("the programs compile on Kiln");
        let mut store = kiln_runtime::Store::new(&engine, ());
        let instance = kiln_runtime::Instance::new(&mut store, &module, &[])
            .expect("the programs instantiate on Kiln");
        KilnRunner { store, instance }
    }

    fn call(&mut self, name: &str, args: &[i32]) -> u64 {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .expect("program export");
        let args: Vec<_> = args.iter().map(|&a| kiln_runtime::Val::I32(a)).collect();
        let mut results = [kiln_runtime::Val::I32(0)];
        func.call(&mut self.store, &args, &mut results)
            .expect("the program runs on Kiln");
        kiln_bits(&results[0])
    }
}

#[cfg(feature = "wasmtime")]
mod wasmtime_runner {
    /// Wasmtime, configured as it is by default.
    pub struct WasmtimeRunner {
        store: wasmtime::Store<()>,
        instance: wasmtime::Instance,
    }

    impl WasmtimeRunner {
        pub fn new() -> WasmtimeRunner {
            let engine = wasmtime::Engine::default();
            let module = wasmtime::Module::from_binary(&engine, super::PROGRAMS_WASM)
                .expect("the programs compile on Wasmtime");
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wasmtime::Instance::new(&mut store, &module, &[])
                .expect("the programs instantiate on Wasmtime");
            WasmtimeRunner { store, instance }
        }

        pub fn call(&mut self, name: &str, args: &[i32]) -> u64 {
            let func = self
                .instance
                .get_func(&mut self.store, name)
                .expect("program export");
            let args: Vec<_> = args.iter().map(|&a| wasmtime::Val::I32(a)).collect();
            let mut results = [wasmtime::Val::I32(0)];
            func.call(&mut self.store, &args, &mut results)
                .expect("the program runs on Wasmtime");
            match results[0] {
                wasmtime::Val::I32(x) => u64::from(x as u32),
                wasmtime::Val::I64(x) => x as u64,
                wasmtime::Val::F32(x) => u64::from(x),
                wasmtime::Val::F64(x) => x,
                ref other => panic!("unexpected result {other:?}"),
            }
        }
    }
}

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
    let mut wasmtime = wasmtime_runner::WasmtimeRunner::new();
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
    let start = SystemTime::now();
    let dir = report::criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    compile(&mut c);
    execute(&mut c);
    c.final_summary();

    let engines = engines();
    let rows: Vec<_> = PROGRAMS
        .iter()
        .map(|p| {
            let group = format!("program_{}", p.name);
            let times: Vec<_> = engines
                .iter()
                .map(|e| report::median_ns(&dir, &group, e, start))
                .collect();
            (p.name.to_string(), times)
        })
        .collect();
    if rows.iter().any(|(_, t)| t.iter().any(Option::is_some)) {
        report::print_table("execution (median per call)", &engines, &rows);
    }
    let compilers: Vec<_> = engines.iter().copied().filter(|e| *e != "native").collect();
    let times: Vec<_> = compilers
        .iter()
        .map(|e| report::median_ns(&dir, "compile_programs", e, start))
        .collect();
    if times.iter().any(Option::is_some) {
        let kb = PROGRAMS_WASM.len() as f64 / 1024.0;
        report::print_table(
            &format!("compile ({kb:.1} KiB of wasm; median)"),
            &compilers,
            &[("programs.wasm".to_string(), times)],
        );
    }
}
