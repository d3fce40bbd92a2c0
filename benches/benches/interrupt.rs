//! What interruption costs: a loop-heavy program (a sieve and a tight
//! counting loop) run plain, with fuel metering, and with epoch checks,
//! side by side.

use criterion::{Criterion, criterion_group, criterion_main};
use kiln_runtime::{Config, Engine, Instance, Module, Store};
use std::hint::black_box;

const LOOPS: &str = r#"(module
  (memory 1)
  (func (export "count") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $i) (i32.const 0x55))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "sieve") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (i32.load8_u (local.get $i)))
        (then
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (local.set $j (i32.mul (local.get $i) (local.get $i)))
          (block $inner_done (loop $inner
            (br_if $inner_done (i32.ge_u (local.get $j) (local.get $n)))
            (i32.store8 (local.get $j) (i32.const 1))
            (local.set $j (i32.add (local.get $j) (local.get $i)))
            (br $inner)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.get $count)))"#;

/// A named way of configuring the engine.
type Variant = (&'static str, fn(&mut Config));

fn interrupt(c: &mut Criterion) {
    let variants: [Variant; 3] = [
        ("plain", |_| {}),
        ("fuel", |c| {
            c.consume_fuel(true);
        }),
        ("epoch", |c| {
            c.epoch_interruption(true);
        }),
    ];
    let mut group = c.benchmark_group("interrupt");
    for (name, configure) in variants {
        let mut config = Config::new();
        configure(&mut config);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, LOOPS).unwrap();
        let mut store = Store::new(&engine, ());
        if config.get_consume_fuel() {
            store.set_fuel(u64::MAX).unwrap();
        }
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let count = instance
            .get_typed_func::<i32, i32>(&mut store, "count")
            .unwrap();
        let sieve = instance
            .get_typed_func::<i32, i32>(&mut store, "sieve")
            .unwrap();
        assert_eq!(sieve.call(&mut store, 1000).unwrap(), 168);
        group.bench_function(format!("count 1M iterations/{name}"), |b| {
            b.iter(|| count.call(&mut store, black_box(1_000_000)).unwrap())
        });
        group.bench_function(format!("sieve 65536/{name}"), |b| {
            b.iter(|| sieve.call(&mut store, black_box(65536)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, interrupt);
criterion_main!(benches);
