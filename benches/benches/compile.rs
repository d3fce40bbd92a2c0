//! Compile time: validating and compiling a generated 200-function module
//! (and the small Fibonacci module) from the binary format.

use criterion::{Criterion, criterion_group, criterion_main};
use kiln_benches::{FIB_WAT, generated_module};
use kiln_runtime::{Engine, Module};
use std::hint::black_box;

fn compile(c: &mut Criterion) {
    let engine = Engine::default();
    let mid = generated_module(200);
    let fib = wat::parse_str(FIB_WAT).expect("fib module parses");
    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    group.bench_function("generated_200_functions", |b| {
        b.iter(|| Module::from_binary(&engine, black_box(&mid)).expect("compiles"));
    });
    group.bench_function("fib", |b| {
        b.iter(|| Module::from_binary(&engine, black_box(&fib)).expect("compiles"));
    });
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
