//! Precompiled modules: the time from bytes to the first call's result,
//! compiling (`Module::from_binary`) versus loading a precompiled module
//! from memory (`Module::deserialize`) and from a file
//! (`Module::deserialize_file`, memory-mapped), each followed by a fresh
//! store, instantiation and one call of an export. Subjects: the large
//! instantiation module (2,000 functions, a 10,000-entry table, 1 MiB of
//! data) and the execution benchmarks' programs. With `--features
//! wasmtime` the same steps run on the `wasmtime` crate in the same run,
//! and the summary gives Kiln next to Wasmtime and each engine's
//! compile/load ratio.
//!
//! `cargo bench -p kiln-benches --bench serialize [--features wasmtime]`

use criterion::Criterion;
use kiln_benches::{Subject, report};
use std::path::PathBuf;

/// The large module and the programs (not the tiny one).
fn subjects() -> Vec<Subject> {
    kiln_benches::subjects()
        .into_iter()
        .filter(|s| s.name != "tiny")
        .collect()
}

/// The three ways from bytes to a module.
const STEPS: [&str; 3] = ["compile", "deserialize", "deserialize_file"];

/// The engines measured, as they prefix benchmark ids; Kiln first.
const ENGINES: &[&str] = if cfg!(feature = "wasmtime") {
    &["kiln", "wasmtime"]
} else {
    &["kiln"]
};

/// Defines `$module::first_call`, which takes bytes to a first call's
/// result on the engine crate `$rt` by one of [`STEPS`]; Kiln's and
/// Wasmtime's APIs agree on these steps, so one body serves both.
macro_rules! first_call {
    ($module:ident, $rt:ident) => {
        mod $module {
            use ::$rt::{Engine, Module, Store, Val};

            /// An engine with a module serialized to bytes and to a file.
            pub struct Loaded {
                pub engine: Engine,
                pub serialized: Vec<u8>,
                pub file: std::path::PathBuf,
            }

            pub fn prepare(subject: &kiln_benches::Subject, dir: &std::path::Path) -> Loaded {
                let engine = Engine::default();
                let module = Module::from_binary(&engine, &subject.bytes).expect("compiles");
                let serialized = module.serialize().expect("serializes");
                let file = dir.join(format!("{}-{}.cwasm", stringify!($rt), subject.name));
                std::fs::write(&file, &serialized).expect("writes the file");
                Loaded {
                    engine,
                    serialized,
                    file,
                }
            }

            /// Bytes to module by `step`, then store, instance and a call.
            pub fn first_call(l: &Loaded, subject: &kiln_benches::Subject, step: &str) -> i64 {
                let module = match step {
                    "compile" => Module::from_binary(&l.engine, &subject.bytes),
                    // SAFETY: bytes this benchmark serialized with this engine.
                    "deserialize" => unsafe { Module::deserialize(&l.engine, &l.serialized) },
                    // SAFETY: a file this benchmark wrote, unchanged since.
                    _ => unsafe { Module::deserialize_file(&l.engine, &l.file) },
                }
                .expect("module");
                let mut store = Store::new(&l.engine, ());
                let linker = ::$rt::Linker::new(&l.engine);
                let instance = linker.instantiate(&mut store, &module).expect("instance");
                let func = instance
                    .get_func(&mut store, subject.export)
                    .expect("export");
                let args: Vec<Val> = subject.args.iter().map(|&a| Val::I32(a)).collect();
                let mut results = [Val::I32(0)];
                func.call(&mut store, &args, &mut results).expect("call");
                let r = &results[0];
                r.i32()
                    .map(i64::from)
                    .or(r.i64())
                    .expect("an integer result")
            }
        }
    };
}

first_call!(kiln_first, kiln_runtime);
#[cfg(feature = "wasmtime")]
first_call!(wasmtime_first, wasmtime);

fn scratch_dir() -> PathBuf {
    let dir = report::criterion_dir().join("serialize-files");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn bench(c: &mut Criterion) {
    let dir = scratch_dir();
    for subject in subjects() {
        let mut group = c.benchmark_group(format!("serialize_{}", subject.name));
        group.sample_size(20);
        let kiln = kiln_first::prepare(&subject, &dir);
        let want = kiln_first::first_call(&kiln, &subject, "compile");
        for step in STEPS {
            assert_eq!(kiln_first::first_call(&kiln, &subject, step), want);
            group.bench_function(format!("kiln_{step}"), |b| {
                b.iter(|| kiln_first::first_call(&kiln, &subject, step))
            });
        }
        #[cfg(feature = "wasmtime")]
        {
            let wt = wasmtime_first::prepare(&subject, &dir);
            for step in STEPS {
                assert_eq!(wasmtime_first::first_call(&wt, &subject, step), want);
                group.bench_function(format!("wasmtime_{step}"), |b| {
                    b.iter(|| wasmtime_first::first_call(&wt, &subject, step))
                });
            }
        }
        group.finish();
    }
}

fn main() {
    let (mut criterion, run) = report::Run::start();
    bench(&mut criterion);
    criterion.final_summary();

    let mut rows = Vec::new();
    for subject in subjects() {
        for step in STEPS {
            let times = ENGINES
                .iter()
                .map(|e| {
                    run.median_ns(
                        &format!("serialize_{}", subject.name),
                        &format!("{e}_{step}"),
                    )
                })
                .collect();
            rows.push((format!("{} {step}", subject.name), times));
        }
    }
    report::print_table(
        "Bytes to first call's result (median): compile vs load a precompiled module",
        ENGINES,
        &rows,
    );
    println!("\nCompile time / load time (higher is better):");
    for subject in subjects() {
        let group = format!("serialize_{}", subject.name);
        let mut line = format!("  {:<10}", subject.name);
        for e in ENGINES {
            let compile = run.median_ns(&group, &format!("{e}_compile"));
            for step in &STEPS[1..] {
                let load = run.median_ns(&group, &format!("{e}_{step}"));
                if let (Some(c), Some(l)) = (compile, load) {
                    line.push_str(&format!("  {e} {step}: {:.1}x", c / l));
                }
            }
        }
        println!("{line}");
    }
}
