//! Trap round trip: a call into wasm that traps, back to the host as a
//! `Trap` value (signal, handler, backtrace, unwind), against a call that
//! returns normally.

use criterion::{Criterion, criterion_group, criterion_main};
use kiln_runtime::{Engine, Instance, Module, Store};
use std::hint::black_box;

fn trap(c: &mut Criterion) {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (memory 1)
            (func (export "ok") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
            (func (export "oob") (param i32) (result i32) (i32.load (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let div = instance
        .get_typed_func::<i32, i32>(&mut store, "ok")
        .unwrap();
    let oob = instance
        .get_typed_func::<i32, i32>(&mut store, "oob")
        .unwrap();

    let mut group = c.benchmark_group("trap");
    group.bench_function("no trap (baseline call)", |b| {
        b.iter(|| div.call(&mut store, black_box(1)).unwrap())
    });
    group.bench_function("integer divide by zero (SIGFPE)", |b| {
        b.iter(|| div.call(&mut store, black_box(0)).unwrap_err())
    });
    group.bench_function("out of bounds memory access (SIGSEGV)", |b| {
        b.iter(|| oob.call(&mut store, black_box(-4)).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, trap);
criterion_main!(benches);
