//! Instantiation latency: `InstancePre::instantiate` alone, and the whole
//! cold-start cycle (`Store::new` + instantiate + call an export + drop the
//! store), with on-demand and pooling allocation, for three modules: tiny,
//! large (2,000 functions, a 10,000-entry table, 1 MiB of data) and the
//! execution benchmarks' programs. Also the cold-start throughput with one
//! and two threads. With `--features wasmtime` the same runs go through
//! the `wasmtime` crate's `InstancePre` (on-demand and pooling), and the
//! summary table gives the ratios.
//!
//! `cargo bench -p kiln-benches --bench instantiate [--features wasmtime]`

use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use kiln_benches::{PROGRAMS_WASM, TINY_WAT, large_module, report};
use std::time::{Duration, Instant, SystemTime};

/// How instances are allocated.
#[derive(Clone, Copy)]
enum Alloc {
    OnDemand,
    Pooling,
}

impl Alloc {
    fn name(self) -> &'static str {
        match self {
            Alloc::OnDemand => "ondemand",
            Alloc::Pooling => "pooling",
        }
    }
}

const ALLOCS: [Alloc; 2] = [Alloc::OnDemand, Alloc::Pooling];

fn modules() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("tiny", wat::parse_str(TINY_WAT).expect("tiny parses")),
        ("large", large_module()),
        ("programs", PROGRAMS_WASM.to_vec()),
    ]
}

/// The export each cold start calls: `run` in the tiny and large modules,
/// `fib(1)` in the programs.
fn export_of(module: &str) -> (&'static str, &'static [i32]) {
    if module == "programs" {
        ("fib", &[1])
    } else {
        ("run", &[])
    }
}

/// One engine's way of doing the measured steps.
trait Runner: Send + Sync {
    /// Instantiates into a fresh store (made outside the measurement by
    /// `fresh`) and returns the store, to be dropped outside it too.
    fn instantiate_only(&self, b: &mut criterion::Bencher<'_>);
    /// One cold start: new store, instantiate, call, drop.
    fn cold_start(&self);
}

mod kiln {
    use super::Alloc;
    use kiln_runtime::{Config, Engine, InstancePre, Linker, Module, Store, Val};

    pub struct Kiln {
        engine: Engine,
        pre: InstancePre<()>,
        export: &'static str,
        args: Vec<Val>,
    }

    impl Kiln {
        pub fn new(alloc: Alloc, bytes: &[u8], export: &'static str, args: &[i32]) -> Kiln {
            let mut config = Config::new();
            if let Alloc::Pooling = alloc {
                config.allocation_strategy(kiln_runtime::InstanceAllocationStrategy::pooling(
                    kiln_runtime::PoolingAllocationConfig::default(),
                ));
            }
            let engine = Engine::new(&config).expect("engine");
            let module = Module::from_binary(&engine, bytes).expect("module compiles");
            let linker = Linker::new(&engine);
            let pre = linker.instantiate_pre(&module).expect("imports resolve");
            Kiln {
                engine,
                pre,
                export,
                args: args.iter().map(|&a| Val::I32(a)).collect(),
            }
        }
    }

    impl super::Runner for Kiln {
        fn instantiate_only(&self, b: &mut criterion::Bencher<'_>) {
            b.iter_batched(
                || Store::new(&self.engine, ()),
                |mut store| {
                    self.pre.instantiate(&mut store).expect("instantiates");
                    store
                },
                criterion::BatchSize::NumIterations(200),
            );
        }

        fn cold_start(&self) {
            let mut store = Store::new(&self.engine, ());
            let instance = self.pre.instantiate(&mut store).expect("instantiates");
            let func = instance.get_func(&mut store, self.export).expect("export");
            let mut results = [Val::I32(0)];
            let n = func.ty(&store).results().len();
            func.call(&mut store, &self.args, &mut results[..n])
                .expect("call");
        }
    }
}

#[cfg(feature = "wasmtime")]
mod wasmtime_runner {
    use super::Alloc;
    use wasmtime::{Config, Engine, InstancePre, Linker, Module, Store, Val};

    pub struct Wasmtime {
        engine: Engine,
        pre: InstancePre<()>,
        export: &'static str,
        args: Vec<Val>,
    }

    impl Wasmtime {
        pub fn new(alloc: Alloc, bytes: &[u8], export: &'static str, args: &[i32]) -> Wasmtime {
            let mut config = Config::new();
            if let Alloc::Pooling = alloc {
                config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
                    wasmtime::PoolingAllocationConfig::default(),
                ));
            }
            let engine = Engine::new(&config).expect("engine");
            let module = Module::from_binary(&engine, bytes).expect("module compiles");
            let linker = Linker::new(&engine);
            let pre = linker.instantiate_pre(&module).expect("imports resolve");
            Wasmtime {
                engine,
                pre,
                export,
                args: args.iter().map(|&a| Val::I32(a)).collect(),
            }
        }
    }

    impl super::Runner for Wasmtime {
        fn instantiate_only(&self, b: &mut criterion::Bencher<'_>) {
            b.iter_batched(
                || Store::new(&self.engine, ()),
                |mut store| {
                    self.pre.instantiate(&mut store).expect("instantiates");
                    store
                },
                criterion::BatchSize::NumIterations(200),
            );
        }

        fn cold_start(&self) {
            let mut store = Store::new(&self.engine, ());
            let instance = self.pre.instantiate(&mut store).expect("instantiates");
            let func = instance.get_func(&mut store, self.export).expect("export");
            let mut results = [Val::I32(0)];
            let n = func.ty(&store).results().len();
            func.call(&mut store, &self.args, &mut results[..n])
                .expect("call");
        }
    }
}

/// Every engine and allocator for one module, named `<engine>_<alloc>`.
fn runners(bytes: &[u8], module: &str) -> Vec<(String, Box<dyn Runner>)> {
    let (export, args) = export_of(module);
    let mut runners: Vec<(String, Box<dyn Runner>)> = Vec::new();
    for alloc in ALLOCS {
        runners.push((
            format!("kiln_{}", alloc.name()),
            Box::new(kiln::Kiln::new(alloc, bytes, export, args)),
        ));
        #[cfg(feature = "wasmtime")]
        runners.push((
            format!("wasmtime_{}", alloc.name()),
            Box::new(wasmtime_runner::Wasmtime::new(alloc, bytes, export, args)),
        ));
    }
    runners
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
}

/// `iters` cold starts spread over `threads` threads; the wall time.
fn parallel_cold_starts(runner: &dyn Runner, threads: u64, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let n = iters / threads + u64::from(t < iters % threads);
            s.spawn(move || {
                for _ in 0..n {
                    runner.cold_start();
                }
            });
        }
    });
    start.elapsed()
}

fn main() {
    let start = SystemTime::now();
    let dir = report::criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    let modules = modules();
    let mut names = Vec::new();
    for (module, bytes) in &modules {
        let runners = runners(bytes, module);
        let mut group = c.benchmark_group(format!("instantiate_{module}"));
        configure(&mut group);
        for (name, runner) in &runners {
            group.bench_function(name.as_str(), |b| runner.instantiate_only(b));
        }
        group.finish();
        let mut group = c.benchmark_group(format!("coldstart_{module}"));
        configure(&mut group);
        for (name, runner) in &runners {
            group.bench_function(name.as_str(), |b| b.iter(|| runner.cold_start()));
        }
        group.finish();
        let mut group = c.benchmark_group(format!("throughput_{module}"));
        configure(&mut group);
        for (name, runner) in runners.iter().filter(|(n, _)| n.ends_with("pooling")) {
            for threads in [1u64, 2] {
                let id = format!("{name}_{threads}threads");
                group.bench_function(id.as_str(), |b| {
                    b.iter_custom(|iters| parallel_cold_starts(runner.as_ref(), threads, iters));
                });
            }
        }
        group.finish();
        names.push(*module);
    }
    c.final_summary();

    let engines: Vec<&str> = if cfg!(feature = "wasmtime") {
        vec!["kiln", "wasmtime"]
    } else {
        vec!["kiln"]
    };
    let mut rows = Vec::new();
    for module in &names {
        for (figure, group) in [("instantiate", "instantiate"), ("cold start", "coldstart")] {
            for alloc in ALLOCS {
                let times = engines
                    .iter()
                    .map(|e| {
                        report::median_ns(
                            &dir,
                            &format!("{group}_{module}"),
                            &format!("{e}_{}", alloc.name()),
                            start,
                        )
                    })
                    .collect();
                rows.push((format!("{module} {figure} {}", alloc.name()), times));
            }
        }
        // Throughput: time per cold start, and the 2-thread speedup.
        for threads in [1, 2] {
            let times = engines
                .iter()
                .map(|e| {
                    report::median_ns(
                        &dir,
                        &format!("throughput_{module}"),
                        &format!("{e}_pooling_{threads}threads"),
                        start,
                    )
                })
                .collect();
            rows.push((format!("{module} per start, {threads} thr"), times));
        }
    }
    if rows
        .iter()
        .any(|(_, t): &(String, Vec<Option<f64>>)| t.iter().any(Option::is_some))
    {
        report::print_table("instantiation (median)", &engines, &rows);
        println!("\n2-thread throughput over 1 thread (pooling):");
        for module in &names {
            for e in &engines {
                let one = report::median_ns(
                    &dir,
                    &format!("throughput_{module}"),
                    &format!("{e}_pooling_1threads"),
                    start,
                );
                let two = report::median_ns(
                    &dir,
                    &format!("throughput_{module}"),
                    &format!("{e}_pooling_2threads"),
                    start,
                );
                if let (Some(one), Some(two)) = (one, two) {
                    println!("  {module:<10} {e:<10} {:.2}x", one / two);
                }
            }
        }
    }
}
