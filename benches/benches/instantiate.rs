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

use criterion::{Bencher, BenchmarkGroup, measurement::WallTime};
use kiln_benches::{Subject, report, subjects};
use std::time::{Duration, Instant};

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

/// The engines measured, as they prefix benchmark ids; Kiln first.
const ENGINES: &[&str] = if cfg!(feature = "wasmtime") {
    &["kiln", "wasmtime"]
} else {
    &["kiln"]
};

/// The thread counts of the throughput groups.
const THREADS: [u64; 2] = [1, 2];

/// One engine's way of doing the measured steps.
trait Runner: Send + Sync {
    /// Instantiates into a fresh store; making the store and dropping it
    /// with its instance both happen outside the measurement.
    fn instantiate_only(&self, b: &mut Bencher<'_>);
    /// One cold start: new store, instantiate, call, drop.
    fn cold_start(&self);
}

/// Defines `$module::EngineRunner`, the [`Runner`] over the engine crate
/// `$rt`. Kiln's and Wasmtime's APIs agree on these steps, so one body
/// serves both and they measure the same thing. `$pooling` is the name of
/// the pooling strategy's constructor, the one place the APIs differ.
macro_rules! runner {
    ($module:ident, $rt:ident, $pooling:ident) => {
        mod $module {
            use super::{Alloc, Bencher};
            use ::$rt::{
                Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
                PoolingAllocationConfig, Store, Val,
            };

            pub struct EngineRunner {
                engine: Engine,
                pre: InstancePre<()>,
                export: &'static str,
                args: Vec<Val>,
            }

            impl EngineRunner {
                pub fn new(alloc: Alloc, subject: &kiln_benches::Subject) -> EngineRunner {
                    let mut config = Config::new();
                    if let Alloc::Pooling = alloc {
                        config.allocation_strategy(InstanceAllocationStrategy::$pooling(
                            PoolingAllocationConfig::default(),
                        ));
                    }
                    let engine = Engine::new(&config).expect("engine");
                    let module =
                        Module::from_binary(&engine, &subject.bytes).expect("module compiles");
                    let pre = Linker::new(&engine)
                        .instantiate_pre(&module)
                        .expect("imports resolve");
                    EngineRunner {
                        engine,
                        pre,
                        export: subject.export,
                        args: subject.args.iter().map(|&a| Val::I32(a)).collect(),
                    }
                }
            }

            impl super::Runner for EngineRunner {
                fn instantiate_only(&self, b: &mut Bencher<'_>) {
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
    };
}

runner!(kiln, kiln_runtime, pooling);
#[cfg(feature = "wasmtime")]
runner!(wasmtime_runner, wasmtime, Pooling);

/// Every engine and allocator for one module, named `<engine>_<alloc>`.
fn runners(subject: &Subject) -> Vec<(String, Box<dyn Runner>)> {
    let mut runners: Vec<(String, Box<dyn Runner>)> = Vec::new();
    for alloc in ALLOCS {
        runners.push((
            format!("kiln_{}", alloc.name()),
            Box::new(kiln::EngineRunner::new(alloc, subject)),
        ));
        #[cfg(feature = "wasmtime")]
        runners.push((
            format!("wasmtime_{}", alloc.name()),
            Box::new(wasmtime_runner::EngineRunner::new(alloc, subject)),
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
    let (mut c, run) = report::Run::start();
    let subjects = subjects();
    for subject in &subjects {
        let module = subject.name;
        let runners = runners(subject);
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
            for threads in THREADS {
                let id = format!("{name}_{threads}threads");
                group.bench_function(id.as_str(), |b| {
                    b.iter_custom(|iters| parallel_cold_starts(runner.as_ref(), threads, iters));
                });
            }
        }
        group.finish();
    }
    c.final_summary();

    // One row per module, figure and allocator; the throughput rows give
    // the time per cold start, and the 2-thread speedup is printed apart.
    let mut rows = Vec::new();
    let mut speedups = Vec::new();
    for module in subjects.iter().map(|s| s.name) {
        for (figure, group) in [("instantiate", "instantiate"), ("cold start", "coldstart")] {
            let group = format!("{group}_{module}");
            for alloc in ALLOCS {
                let times = ENGINES
                    .iter()
                    .map(|e| run.median_ns(&group, &format!("{e}_{}", alloc.name())))
                    .collect();
                rows.push((format!("{module} {figure} {}", alloc.name()), times));
            }
        }
        let group = format!("throughput_{module}");
        let [one, two]: [Vec<Option<f64>>; 2] = THREADS.map(|threads| {
            ENGINES
                .iter()
                .map(|e| run.median_ns(&group, &format!("{e}_pooling_{threads}threads")))
                .collect()
        });
        for (e, (one, two)) in ENGINES.iter().zip(one.iter().zip(&two)) {
            if let (Some(one), Some(two)) = (one, two) {
                speedups.push(format!("  {module:<10} {e:<10} {:.2}x", one / two));
            }
        }
        for (threads, times) in THREADS.into_iter().zip([one, two]) {
            rows.push((format!("{module} per start, {threads} thr"), times));
        }
    }
    report::print_table("instantiation (median)", ENGINES, &rows);
    if !speedups.is_empty() {
        println!("\n2-thread throughput over 1 thread (pooling):");
        for line in speedups {
            println!("{line}");
        }
    }
}
