//! Calls into wasm: the overhead of an empty call (`call` group, typed and
//! dynamic), and a call-heavy computation, recursive `fib(30)` (`execute`
//! group).

use criterion::{Criterion, criterion_group, criterion_main};
use kiln_benches::FIB_WAT;
use kiln_runtime::{Engine, Instance, Module, Store};
use std::hint::black_box;

fn setup() -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, FIB_WAT).expect("fib module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

fn call(c: &mut Criterion) {
    let (mut store, instance) = setup();
    let typed = instance
        .get_typed_func::<(), ()>(&mut store, "nop")
        .expect("nop export");
    let dynamic = instance.get_func(&mut store, "nop").expect("nop export");
    let mut group = c.benchmark_group("call");
    group.bench_function("typed_nop", |b| {
        b.iter(|| typed.call(&mut store, ()).expect("nop returns"));
    });
    group.bench_function("dynamic_nop", |b| {
        b.iter(|| dynamic.call(&mut store, &[], &mut []).expect("nop returns"));
    });
    group.finish();
}

fn execute(c: &mut Criterion) {
    let (mut store, instance) = setup();
    let fib = instance
        .get_typed_func::<i64, i64>(&mut store, "fib")
        .expect("fib export");
    assert_eq!(fib.call(&mut store, 30).expect("fib runs"), 832_040);
    let mut group = c.benchmark_group("execute");
    group.sample_size(20);
    group.bench_function("fib_30", |b| {
        b.iter(|| fib.call(&mut store, black_box(30)).expect("fib runs"));
    });
    group.finish();
}

criterion_group!(benches, call, execute);
criterion_main!(benches);
