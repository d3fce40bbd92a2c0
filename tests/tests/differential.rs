//! Differential testing against Wasmtime: random valid modules from
//! `wasm-smith` (WebAssembly 2.0 without SIMD, Kiln's feature set), made to
//! terminate, run on Kiln and on the `wasmtime` crate; instantiation and
//! every call of every exported function must give the same outcome (the
//! same results or the same trap), and after each call every exported
//! global, memory and table must hold the same state. Kiln alternates
//! between on-demand and pooling allocation, whose reused memory and table
//! slots must come back exactly reset.
//!
//! `KILN_DIFF_MODULES` sets how many modules (default 2,000) and
//! `KILN_DIFF_SEED` the first seed (default 0): a failure names its seed, and
//! `KILN_DIFF_SEED=<seed> KILN_DIFF_MODULES=1` replays it.

#![cfg(target_arch = "x86_64")]

use arbitrary::Unstructured;
use kiln_runtime as kiln;

/// Fuel `ensure_termination` gives each module: loops and calls each take
/// one, so no call runs long or recurses deep.
const TERMINATION_FUEL: u32 = 2_000;

/// Calls made per exported function.
const CALLS_PER_FUNC: usize = 3;

/// A splitmix64 generator: the bytes wasm-smith builds a module from, and
/// the arguments of calls.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[(self.next() % choices.len() as u64) as usize]
    }
}

/// What wasm-smith may generate: WebAssembly 2.0 without SIMD, no imports,
/// everything exported, bounded memories and tables, NaNs canonicalized
/// (so that results are deterministic on any engine).
fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        max_imports: 0,
        export_everything: true,
        canonicalize_nans: true,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        compact_imports_enabled: false,
        max_memories: 1,
        max_tables: 3,
        max_memory32_bytes: 16 << 16,
        memory_max_size_required: true,
        max_table_elements: 1_000,
        table_max_size_required: true,
        min_funcs: 3,
        max_funcs: 30,
        max_instructions: 200,
        ..wasm_smith::Config::default()
    }
}

/// A value both engines agree on: numbers as bits, references as null or
/// not (their identities are each engine's own).
#[derive(Debug, PartialEq, Clone, Copy)]
enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    Ref { null: bool },
}

impl Value {
    fn from_kiln(v: &kiln::Val) -> Value {
        match v {
            kiln::Val::I32(x) => Value::I32(*x),
            kiln::Val::I64(x) => Value::I64(*x),
            kiln::Val::F32(x) => Value::F32(*x),
            kiln::Val::F64(x) => Value::F64(*x),
            kiln::Val::FuncRef(f) => Value::Ref { null: f.is_none() },
            kiln::Val::ExternRef(r) => Value::Ref { null: r.is_none() },
        }
    }

    fn from_wasmtime(v: &wasmtime::Val) -> Value {
        match v {
            wasmtime::Val::I32(x) => Value::I32(*x),
            wasmtime::Val::I64(x) => Value::I64(*x),
            wasmtime::Val::F32(x) => Value::F32(*x),
            wasmtime::Val::F64(x) => Value::F64(*x),
            wasmtime::Val::FuncRef(f) => Value::Ref { null: f.is_none() },
            wasmtime::Val::ExternRef(r) => Value::Ref { null: r.is_none() },
            other => panic!("wasm-smith was told not to generate {other:?}"),
        }
    }

    /// Equal, counting any two NaNs of a type as equal.
    fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::F32(a), Value::F32(b)) => {
                a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan())
            }
            (Value::F64(a), Value::F64(b)) => {
                a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan())
            }
            _ => self == other,
        }
    }

    fn to_kiln(self) -> kiln::Val {
        match self {
            Value::I32(x) => kiln::Val::I32(x),
            Value::I64(x) => kiln::Val::I64(x),
            Value::F32(x) => kiln::Val::F32(x),
            Value::F64(x) => kiln::Val::F64(x),
            Value::Ref { .. } => unreachable!("arguments are numbers or typed nulls"),
        }
    }

    fn to_wasmtime(self) -> wasmtime::Val {
        match self {
            Value::I32(x) => wasmtime::Val::I32(x),
            Value::I64(x) => wasmtime::Val::I64(x),
            Value::F32(x) => wasmtime::Val::F32(x),
            Value::F64(x) => wasmtime::Val::F64(x),
            Value::Ref { .. } => unreachable!("arguments are numbers or typed nulls"),
        }
    }
}

/// An argument of type `ty`: an edge case or a small number.
fn argument(rng: &mut Rng, ty: &kiln::ValType) -> Option<Value> {
    Some(match ty {
        kiln::ValType::I32 => Value::I32(rng.pick(&[0, 1, -1, 7, 100, i32::MIN, i32::MAX, 65536])),
        kiln::ValType::I64 => Value::I64(rng.pick(&[0, 1, -1, 42, i64::MIN, i64::MAX, 1 << 32])),
        kiln::ValType::F32 => Value::F32(
            rng.pick(&[0.0f32, -0.0, 1.5, -2.25, 1e10, f32::INFINITY])
                .to_bits(),
        ),
        kiln::ValType::F64 => Value::F64(
            rng.pick(&[0.0f64, -0.0, 1.5, -2.25, 1e300, f64::NEG_INFINITY])
                .to_bits(),
        ),
        // References: null (the only reference a host without imports
        // can pass to both engines alike).
        _ => return None,
    })
}

/// How a call (or an instantiation) ended.
#[derive(Debug)]
enum Outcome {
    Values(Vec<Value>),
    Trap(&'static str),
    /// A stack overflow: where it happens depends on each engine's frame
    /// sizes, so the instance is not compared further.
    StackOverflow,
    /// An error that is not a trap (a resource limit): not compared.
    Error(String),
}

fn kiln_trap(e: &anyhow::Error) -> Outcome {
    use kiln::TrapCode as C;
    let Some(trap) = e.downcast_ref::<kiln::Trap>() else {
        return Outcome::Error(format!("{e:#}"));
    };
    Outcome::Trap(match trap.code() {
        C::StackOverflow => return Outcome::StackOverflow,
        C::Unreachable => "unreachable",
        C::IntegerDivisionByZero => "integer divide by zero",
        C::IntegerOverflow => "integer overflow",
        C::BadConversionToInteger => "invalid conversion to integer",
        C::MemoryOutOfBounds => "out of bounds memory access",
        C::TableOutOfBounds | C::UndefinedElement => "out of bounds table access",
        C::UninitializedElement => "uninitialized element",
        C::IndirectCallTypeMismatch => "indirect call type mismatch",
        other => panic!("unexpected Kiln trap {other:?}"),
    })
}

fn wasmtime_trap(e: &wasmtime::Error) -> Outcome {
    use wasmtime::Trap as T;
    let Some(trap) = e.downcast_ref::<T>() else {
        return Outcome::Error(format!("{e:#}"));
    };
    Outcome::Trap(match trap {
        T::StackOverflow => return Outcome::StackOverflow,
        T::UnreachableCodeReached => "unreachable",
        T::IntegerDivisionByZero => "integer divide by zero",
        T::IntegerOverflow => "integer overflow",
        T::BadConversionToInteger => "invalid conversion to integer",
        T::MemoryOutOfBounds => "out of bounds memory access",
        T::TableOutOfBounds => "out of bounds table access",
        T::IndirectCallToNull => "uninitialized element",
        T::BadSignature => "indirect call type mismatch",
        other => panic!("unexpected Wasmtime trap {other:?}"),
    })
}

/// Whether the two outcomes agree; `None` if they cannot be compared (a
/// stack overflow or a non-trap error on either side).
fn agree(k: &Outcome, w: &Outcome) -> Option<bool> {
    match (k, w) {
        (Outcome::StackOverflow | Outcome::Error(_), _)
        | (_, Outcome::StackOverflow | Outcome::Error(_)) => None,
        (Outcome::Trap(a), Outcome::Trap(b)) => Some(a == b),
        (Outcome::Values(a), Outcome::Values(b)) => {
            Some(a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)))
        }
        _ => Some(false),
    }
}

/// The state both instances expose: every exported global's value, every
/// exported memory's size and a hash of its bytes, every exported table's
/// size and which of its elements are null.
#[derive(Debug, PartialEq)]
enum State {
    Global(Value),
    Memory { pages: u64, hash: u64 },
    Table(Vec<bool>),
    Func,
}

fn hash(bytes: &[u8]) -> u64 {
    // FNV-1a over 8-byte words (the memories are at most 1 MiB).
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Defines `$name`, which reads [`State`] of every export in `names`
/// through the engine crate `$rt`, whose API agrees with the other's but
/// for how a global is read and a null reference is told.
macro_rules! state_fn {
    ($name:ident, $rt:ident, $from:path, $is_null:expr) => {
        fn $name(
            store: &mut $rt::Store<()>,
            instance: &$rt::Instance,
            names: &[String],
        ) -> Vec<State> {
            let is_null = $is_null;
            names
                .iter()
                .map(
                    |name| match instance.get_export(&mut *store, name).expect("exported") {
                        $rt::Extern::Global(g) => State::Global($from(&g.get(&mut *store))),
                        $rt::Extern::Memory(m) => State::Memory {
                            pages: m.size(&*store),
                            hash: hash(m.data(&*store)),
                        },
                        $rt::Extern::Table(t) => State::Table(
                            (0..t.size(&*store))
                                .map(|i| is_null(&t.get(&mut *store, i).expect("in bounds")))
                                .collect(),
                        ),
                        $rt::Extern::Func(_) => State::Func,
                        #[allow(unreachable_patterns, reason = "Wasmtime has more kinds")]
                        _ => panic!("unexpected kind of export `{name}`"),
                    },
                )
                .collect()
        }
    };
}

state_fn!(kiln_state, kiln, Value::from_kiln, |v: &kiln::Val| {
    matches!(Value::from_kiln(v), Value::Ref { null: true })
});
state_fn!(
    wasmtime_state,
    wasmtime,
    Value::from_wasmtime,
    |v: &wasmtime::Ref| v.is_null()
);

/// What one module's comparison came to.
#[derive(Default)]
struct Tally {
    modules: usize,
    instantiated: usize,
    calls: usize,
    traps: usize,
    uncomparable: usize,
    /// The first non-trap error either engine gave, for the report.
    first_error: Option<String>,
}

impl Tally {
    /// Counts a run that could not be compared, keeping the first error.
    fn stop(&mut self, outcomes: [&Outcome; 2]) {
        self.uncomparable += 1;
        for o in outcomes {
            if let Outcome::Error(e) = o
                && self.first_error.is_none()
            {
                self.first_error = Some(e.clone());
            }
        }
    }
}

/// Builds module `seed`, runs it on both engines and compares; panics
/// naming the seed on any difference.
fn run_one(
    seed: u64,
    kiln_engine: &kiln::Engine,
    wasmtime_engine: &wasmtime::Engine,
    tally: &mut Tally,
) {
    let mut rng = Rng(seed);
    let data = rng.bytes(32 << 10);
    let mut u = Unstructured::new(&data);
    let Ok(mut module) = wasm_smith::Module::new(smith_config(), &mut u) else {
        return;
    };
    module
        .ensure_termination(TERMINATION_FUEL)
        .expect("wasm-smith's own code can be made to terminate");
    let wasm = module.to_bytes();
    tally.modules += 1;
    let fail = |what: String| -> ! {
        let path = std::env::temp_dir().join(format!("kiln-diff-{seed}.wasm"));
        std::fs::write(&path, &wasm).expect("write the failing module");
        panic!("seed {seed}: {what} (module written to {})", path.display());
    };

    let km = kiln::Module::new(kiln_engine, &wasm)
        .unwrap_or_else(|e| fail(format!("Kiln rejects a valid module: {e:#}")));
    let wm = wasmtime::Module::new(wasmtime_engine, &wasm)
        .unwrap_or_else(|e| fail(format!("Wasmtime rejects the module: {e:#}")));
    let mut ks = kiln::Store::new(kiln_engine, ());
    let mut ws = wasmtime::Store::new(wasmtime_engine, ());
    let ki = kiln::Instance::new(&mut ks, &km, &[]);
    let wi = wasmtime::Instance::new(&mut ws, &wm, &[]);
    let (ki, wi) = match (ki, wi) {
        (Ok(k), Ok(w)) => (k, w),
        (k, w) => {
            let k = k.err().map_or(Outcome::Values(vec![]), |e| kiln_trap(&e));
            let w = w
                .err()
                .map_or(Outcome::Values(vec![]), |e| wasmtime_trap(&e));
            match agree(&k, &w) {
                Some(true) => tally.traps += 1,
                Some(false) => fail(format!("instantiation: Kiln {k:?}, Wasmtime {w:?}")),
                None => tally.stop([&k, &w]),
            }
            return;
        }
    };
    tally.instantiated += 1;

    let names: Vec<String> = km.exports().map(|e| e.name().to_string()).collect();
    let check_state = |ks: &mut kiln::Store<()>, ws: &mut wasmtime::Store<()>, after: &str| {
        let k = kiln_state(ks, &ki, &names);
        let w = wasmtime_state(ws, &wi, &names);
        for ((name, k), w) in names.iter().zip(&k).zip(&w) {
            let same = match (k, w) {
                (State::Global(a), State::Global(b)) => a.same(b),
                _ => k == w,
            };
            if !same {
                fail(format!(
                    "after {after}, export `{name}`: Kiln {k:?}, Wasmtime {w:?}"
                ));
            }
        }
    };
    check_state(&mut ks, &mut ws, "instantiation");

    for name in &names {
        let Some(kf) = ki.get_func(&mut ks, name) else {
            continue;
        };
        let wf = wi.get_func(&mut ws, name).expect("the same exports");
        let ty = kf.ty(&ks);
        for _ in 0..CALLS_PER_FUNC {
            let Some(args) = ty
                .params()
                .iter()
                .map(|t| argument(&mut rng, t))
                .collect::<Option<Vec<_>>>()
            else {
                break;
            };
            let kargs: Vec<_> = args.iter().map(|a| a.to_kiln()).collect();
            let wargs: Vec<_> = args.iter().map(|a| a.to_wasmtime()).collect();
            let mut kres = vec![kiln::Val::I32(0); ty.results().len()];
            let mut wres = vec![wasmtime::Val::I32(0); ty.results().len()];
            let k = match kf.call(&mut ks, &kargs, &mut kres) {
                Ok(()) => Outcome::Values(kres.iter().map(Value::from_kiln).collect()),
                Err(e) => kiln_trap(&e),
            };
            let w = match wf.call(&mut ws, &wargs, &mut wres) {
                Ok(()) => Outcome::Values(wres.iter().map(Value::from_wasmtime).collect()),
                Err(e) => wasmtime_trap(&e),
            };
            tally.calls += 1;
            match agree(&k, &w) {
                Some(true) => {}
                Some(false) => fail(format!("call `{name}`{args:?}: Kiln {k:?}, Wasmtime {w:?}")),
                None => {
                    // The instances' states may differ from here on.
                    tally.stop([&k, &w]);
                    return;
                }
            }
            if matches!(k, Outcome::Trap(_)) {
                tally.traps += 1;
            }
            check_state(&mut ks, &mut ws, &format!("call `{name}`{args:?}"));
        }
    }
}

#[test]
fn random_modules_agree_with_wasmtime() {
    let count: u64 = std::env::var("KILN_DIFF_MODULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let first: u64 = std::env::var("KILN_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Odd seeds run on a pooling engine: its slots are reused module after
    // module, so a slot not reset exactly shows up as a difference.
    let on_demand = kiln::Engine::default();
    let mut pool = kiln::PoolingAllocationConfig::new();
    pool.total_memories(64)
        .total_tables(256)
        .total_core_instances(64)
        .max_memory_size(16 << 16)
        .table_elements(1_000)
        .linear_memory_keep_resident(16 << 10);
    let mut config = kiln::Config::new();
    config.allocation_strategy(kiln::InstanceAllocationStrategy::pooling(pool));
    let pooling = kiln::Engine::new(&config).expect("Kiln's pooling engine");
    let mut config = wasmtime::Config::new();
    config.wasm_simd(false).wasm_relaxed_simd(false);
    let wasmtime_engine = wasmtime::Engine::new(&config).expect("Wasmtime's engine");
    let mut tally = Tally::default();
    for seed in first..first + count {
        let kiln_engine = if seed % 2 == 0 { &on_demand } else { &pooling };
        run_one(seed, kiln_engine, &wasmtime_engine, &mut tally);
    }
    println!(
        "{} modules ({} instantiated), {} calls, {} traps agreed, {} runs stopped at a stack \
         overflow or resource error",
        tally.modules, tally.instantiated, tally.calls, tally.traps, tally.uncomparable
    );
    if let Some(e) = &tally.first_error {
        println!("first resource error: {e}");
    }
    assert!(
        tally.modules as u64 > count / 2,
        "wasm-smith made too few modules"
    );
    assert!(tally.calls > tally.modules, "too few calls compared");
}
