//! Instantiation latency: `InstancePre::instantiate` alone, and the whole
//! cold-start cycle (`Store::new` + instantiate + call an export + drop the
//! store), with on-demand and pooling allocation, for three modules: tiny,
//! large (2,000 functions, a 10,000-entry table, 1 MiB of data) and the
//! execution benchmarks' programs; then the programs module again as
//! `writing`, whose cold start calls `sieve(100)`, which writes memory
//! (the three exports above only read it), so its memory must be reset
//! when the store drops. Also the cold-start throughput with one and two
//! threads. With `--features wasmtime` the same runs go through
//! the `wasmtime` crate's `InstancePre` (on-demand and pooling), and the
//! summary table gives the ratios.
//!
//! `cargo bench -p kiln-benches --bench instantiate [--features wasmtime]`

use criterion::{Bencher, BenchmarkGroup, measurement::WallTime};
use kiln_benches::{Subject, report, subjects};
use std::collections::BTreeMap;
use std::sync::Mutex;
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

/// The CPU time the threads of each throughput benchmark (by id) spent,
/// and the runs they made, over every sample: whether a run costs more
/// CPU time with two threads than with one (contention) apart from what
/// the machine gives two threads.
static CPU_TIME: Mutex<BTreeMap<String, (Duration, u64)>> = Mutex::new(BTreeMap::new());

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid `timespec` to write; the clock always exists
    // on Linux.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// `iters` runs of `work` spread over `threads` threads: the wall time
/// and the threads' CPU time.
fn run_threads(work: &(dyn Fn() + Sync), threads: u64, iters: u64) -> (Duration, Duration) {
    let start = Instant::now();
    let cpu: Duration = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let n = iters / threads + u64::from(t < iters % threads);
                s.spawn(move || {
                    let cpu = thread_cpu_time();
                    for _ in 0..n {
                        work();
                    }
                    thread_cpu_time() - cpu
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker")).sum()
    });
    (start.elapsed(), cpu)
}

/// `iters` runs of `work` spread over `threads` threads; the wall time.
/// The threads' CPU time is added to `CPU_TIME[id]`.
fn parallel(id: &str, work: &(dyn Fn() + Sync), threads: u64, iters: u64) -> Duration {
    let (wall, cpu) = run_threads(work, threads, iters);
    let mut totals = CPU_TIME.lock().expect("not poisoned");
    let entry = totals.entry(id.to_string()).or_default();
    entry.0 += cpu;
    entry.1 += iters;
    wall
}

/// Rounds of the interleaved thread-scaling measurement.
const ROUNDS: usize = 21;

/// Two threads against one, interleaved: criterion measures the 1-thread
/// and the 2-thread throughput seconds apart, and on a VM whose speed
/// drifts (or that lends a vCPU elsewhere for a while) their ratio mixes
/// scaling with drift. Here each round runs the same batch of `work`
/// (about 10 ms on one thread, from `ns_per_run`) on one thread and on
/// two, in alternating order; the result is the median over rounds of
/// the throughput ratio (2 threads / 1) and of the CPU time per run
/// ratio (2 threads / 1).
fn interleaved_scaling(work: &(dyn Fn() + Sync), ns_per_run: f64) -> (f64, f64) {
    let iters = ((10e6 / ns_per_run) as u64).clamp(1_000, 200_000);
    run_threads(work, 2, iters);
    let (mut throughput, mut cpu) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { [1, 2] } else { [2, 1] };
        let [(wall_a, cpu_a), (wall_b, cpu_b)] = order.map(|t| run_threads(work, t, iters));
        let ((wall_one, cpu_one), (wall_two, cpu_two)) = if order[0] == 1 {
            ((wall_a, cpu_a), (wall_b, cpu_b))
        } else {
            ((wall_b, cpu_b), (wall_a, cpu_a))
        };
        throughput.push(wall_one.as_secs_f64() / wall_two.as_secs_f64());
        cpu.push(cpu_two.as_secs_f64() / cpu_one.as_secs_f64());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(throughput), median(cpu))
}

/// CPU time per run of throughput benchmark `id`, in nanoseconds.
fn cpu_per_run(id: &str) -> Option<f64> {
    let totals = CPU_TIME.lock().expect("not poisoned");
    let (cpu, runs) = totals.get(id)?;
    Some(cpu.as_nanos() as f64 / *runs as f64)
}

/// The reference for the thread scaling figures: arithmetic that shares
/// nothing between threads and takes about as long as a cold start.
/// What two threads make of it is what this machine gives two threads
/// with no contention at all (on a VM whose two vCPUs share a physical
/// core, well under 2x).
fn reference_work() {
    let mut x: [u64; 8] = std::hint::black_box([1, 2, 3, 4, 5, 6, 7, 8]);
    for _ in 0..600 {
        for (i, v) in x.iter_mut().enumerate() {
            *v = (*v ^ (*v << (i + 1))).wrapping_add(*v >> 3);
        }
        x = std::hint::black_box(x);
    }
}

fn main() {
    let (mut c, run) = report::Run::start();
    let mut subjects: Vec<Subject> = subjects().into_iter().collect();
    subjects.push(Subject {
        name: "writing",
        bytes: kiln_benches::PROGRAMS_WASM.to_vec(),
        export: "sieve",
        args: &[100],
    });
    // Lines of the interleaved 2-thread comparison.
    let mut interleaved = Vec::new();
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
                let key = format!("{module}/{id}");
                group.bench_function(id.as_str(), |b| {
                    b.iter_custom(|iters| parallel(&key, &|| runner.cold_start(), threads, iters));
                });
            }
        }
        group.finish();
        for (name, runner) in runners.iter().filter(|(n, _)| n.ends_with("pooling")) {
            let group = format!("throughput_{module}");
            if let Some(ns) = run.median_ns(&group, &format!("{name}_1threads")) {
                let (throughput, cpu) = interleaved_scaling(&|| runner.cold_start(), ns);
                let engine = name.trim_end_matches("_pooling");
                interleaved.push(format!(
                    "  {module:<10} {engine:<10} {throughput:>5.2}x   {cpu:>5.2}x"
                ));
            }
        }
    }
    let mut group = c.benchmark_group("throughput_reference");
    configure(&mut group);
    for threads in THREADS {
        let id = format!("reference_{threads}threads");
        group.bench_function(&id, |b| {
            b.iter_custom(|iters| parallel(&id, &reference_work, threads, iters));
        });
    }
    group.finish();
    if let Some(ns) = run.median_ns("throughput_reference", "reference_1threads") {
        let (throughput, cpu) = interleaved_scaling(&reference_work, ns);
        interleaved.push(format!(
            "  {:<21} {throughput:>5.2}x   {cpu:>5.2}x   (arithmetic sharing nothing)",
            "reference"
        ));
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
            let [cpu_one, cpu_two] =
                THREADS.map(|t| cpu_per_run(&format!("{module}/{e}_pooling_{t}threads")));
            if let (Some(one), Some(two), Some(cpu_one), Some(cpu_two)) =
                (one, two, cpu_one, cpu_two)
            {
                speedups.push(format!(
                    "  {module:<10} {e:<10} {:>5.2}x   {:>5.2}x",
                    one / two,
                    cpu_two / cpu_one
                ));
            }
        }
        for (threads, times) in THREADS.into_iter().zip([one, two]) {
            rows.push((format!("{module} per start, {threads} thr"), times));
        }
    }
    report::print_table("instantiation (median)", ENGINES, &rows);
    if !speedups.is_empty() {
        println!("\n2 threads against 1 (pooling): throughput, and CPU time per run");
        for line in speedups {
            println!("{line}");
        }
        let [one, two] = THREADS.map(|t| {
            let id = format!("reference_{t}threads");
            run.median_ns("throughput_reference", &id)
                .zip(cpu_per_run(&id))
        });
        if let (Some((one, cpu_one)), Some((two, cpu_two))) = (one, two) {
            println!(
                "  {:<21} {:>5.2}x   {:>5.2}x   (arithmetic sharing nothing: what this machine gives 2 threads)",
                "reference",
                one / two,
                cpu_two / cpu_one
            );
        }
    }
    if !interleaved.is_empty() {
        println!(
            "\n2 threads against 1 (pooling), {ROUNDS} interleaved rounds: throughput, and CPU time per run (medians of the rounds' ratios)"
        );
        for line in interleaved {
            println!("{line}");
        }
    }
}
