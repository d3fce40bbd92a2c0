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
use kiln_benches::{Subject, median, report, subjects};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Runs a thread takes from the shared count at a time in [`run_threads`].
const CHUNK: u64 = 16;

/// `iters` runs of `work` shared among `threads` threads: the wall time
/// and the threads' CPU time.
///
/// - The threads take runs from a shared count [`CHUNK`] at a time, as a
///   server hands requests to whichever thread is free: a static split
///   would measure the slowest thread, and on a VM whose vCPUs run at
///   different speeds for a while that is not the throughput of two
///   threads.
/// - The clock starts once every thread is running. A new thread may
///   have to wait for an idle vCPU to be woken, which on this VM has
///   taken milliseconds; that is the latency of waking a vCPU, not the
///   throughput of instantiation, which a server's standing workers do
///   not pay.
fn run_threads(work: &(dyn Fn() + Sync), threads: u64, iters: u64) -> (Duration, Duration) {
    let next = AtomicU64::new(0);
    let ready = AtomicU64::new(0);
    let (next, ready) = (&next, &ready);
    let spans: Vec<(Instant, Instant, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    ready.fetch_add(1, Ordering::AcqRel);
                    while ready.load(Ordering::Acquire) < threads {
                        std::hint::spin_loop();
                    }
                    let (start, cpu) = (Instant::now(), thread_cpu_time());
                    loop {
                        let first = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if first >= iters {
                            break;
                        }
                        for _ in first..(first + CHUNK).min(iters) {
                            work();
                        }
                    }
                    (start, Instant::now(), thread_cpu_time() - cpu)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let start = spans.iter().map(|s| s.0).min().expect("a thread");
    let end = spans.iter().map(|s| s.1).max().expect("a thread");
    (end - start, spans.iter().map(|s| s.2).sum())
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
const ROUNDS: usize = 41;

/// The reference's 2-thread throughput ratio at or above which a round
/// counts as one where the machine gave two threads two cores.
const STEADY: f64 = 1.9;

/// Two threads against one, measured interleaved with the reference.
struct Scaling {
    /// Median over rounds of the throughput ratio (2 threads / 1).
    throughput: f64,
    /// Median over rounds of the CPU time per run ratio (2 threads / 1).
    cpu: f64,
    /// Median over rounds of the reference's throughput ratio.
    reference: f64,
    /// The rounds in which the reference got at least [`STEADY`], and the
    /// median throughput ratio of `work` over them.
    steady: (usize, Option<f64>),
}

/// Two threads against one, interleaved: criterion measures the 1-thread
/// and the 2-thread throughput seconds apart, and on a VM whose speed
/// drifts (or that lends a vCPU elsewhere for a while) their ratio mixes
/// scaling with drift. Here each round runs the same batch of `work`
/// (about 10 ms on one thread, from `ns_per_run`) on one thread and on
/// two, and a batch of [`reference_work`] (from `reference_ns`) the same
/// two ways, the four in a rotating order. So every round's ratio for
/// `work` has a reference taken within milliseconds of it: what the
/// machine gave two threads just then.
fn interleaved_scaling(work: &(dyn Fn() + Sync), ns_per_run: f64, reference_ns: f64) -> Scaling {
    let batch = |ns: f64| ((10e6 / ns) as u64).clamp(1_000, 200_000);
    let subjects: [(&(dyn Fn() + Sync), u64); 2] = [
        (work, batch(ns_per_run)),
        (&reference_work, batch(reference_ns)),
    ];
    for (f, iters) in subjects {
        run_threads(f, 2, iters);
    }
    // (subject, threads) in the order of the first round.
    let runs = [(0, 1), (0, 2), (1, 1), (1, 2)];
    let (mut throughput, mut cpu, mut reference, mut steady) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // [subject][threads - 1] = (wall, cpu)
        let mut measured = [[(Duration::ZERO, Duration::ZERO); 2]; 2];
        for i in 0..runs.len() {
            let (subject, threads) = runs[(i + round) % runs.len()];
            let (f, iters) = subjects[subject];
            measured[subject][threads as usize - 1] = run_threads(f, threads, iters);
        }
        let ratios = measured.map(|[(wall_one, cpu_one), (wall_two, cpu_two)]| {
            (
                wall_one.as_secs_f64() / wall_two.as_secs_f64(),
                cpu_two.as_secs_f64() / cpu_one.as_secs_f64(),
            )
        });
        throughput.push(ratios[0].0);
        cpu.push(ratios[0].1);
        reference.push(ratios[1].0);
        if ratios[1].0 >= STEADY {
            steady.push(ratios[0].0);
        }
    }
    Scaling {
        throughput: median(throughput).unwrap_or(f64::NAN),
        cpu: median(cpu).unwrap_or(f64::NAN),
        reference: median(reference).unwrap_or(f64::NAN),
        steady: (steady.len(), median(steady)),
    }
}

/// The wall time of one run of `work`, in nanoseconds, over about 20 ms.
fn time_per_run(work: &dyn Fn()) -> f64 {
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < Duration::from_millis(20) {
        for _ in 0..100 {
            work();
        }
        runs += 100;
    }
    start.elapsed().as_nanos() as f64 / f64::from(runs)
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
    let reference_ns = time_per_run(&reference_work);
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
                let s = interleaved_scaling(&|| runner.cold_start(), ns, reference_ns);
                let engine = name.trim_end_matches("_pooling");
                let (n, steady) = s.steady;
                let steady = steady.map_or("-".into(), |r| format!("{r:.2}x"));
                interleaved.push(format!(
                    "  {module:<10} {engine:<10} {:>5.2}x   {:>5.2}x   {:>5.2}x   {n:>2}/{ROUNDS}  {steady:>6}",
                    s.throughput, s.cpu, s.reference
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
            "\n2 threads against 1 (pooling), {ROUNDS} interleaved rounds, each with the reference: medians of the rounds' ratios of\n\
             throughput, CPU time per run, and the reference's throughput; then the rounds in which the reference got\n\
             at least {STEADY}x (the machine gave two threads two cores), and the median throughput ratio over them"
        );
        println!(
            "  {:<10} {:<10} {:>6}   {:>6}   {:>6}   {:>5}  {:>6}",
            "module", "engine", "thru", "cpu", "ref", "steady", "thru"
        );
        for line in interleaved {
            println!("{line}");
        }
    }
}
