//! The sandbox: whatever a guest does — read out of bounds, divide by zero,
//! recurse or loop forever — the host gets a `Trap` back and goes on.
//! One module per concept.

use kiln_runtime::*;
use kiln_tests::typed;

fn engine_with(f: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    f(&mut config);
    Engine::new(&config).unwrap()
}

fn instance(engine: &Engine, wat: &str) -> (Store<()>, Instance) {
    kiln_tests::instantiate_in(engine, (), wat, &[])
}

fn trap_of(result: Result<impl std::fmt::Debug>) -> Trap {
    let err = result.expect_err("expected a trap");
    err.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("expected a trap, got {err:#}"))
        .clone()
}

mod traps {
    use super::*;

    const TRAPS: &str = r#"(module
      (type $v (func))
      (table 2 funcref)
      (elem (i32.const 0) $unreachable)
      (memory 1)
      (func $unreachable (export "unreachable") unreachable)
      (func (export "div_zero") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
      (func (export "rem_zero") (result i64) (i64.rem_u (i64.const 1) (i64.const 0)))
      (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
      (func (export "trunc_nan") (result i32) (i32.trunc_f32_s (f32.const nan)))
      (func (export "trunc_big") (result i64) (i64.trunc_f64_u (f64.const 1e30)))
      (func (export "oob_load") (result i32) (i32.load (i32.const 65536)))
      (func (export "oob_store") (i64.store offset=65530 (i32.const 0) (i64.const 1)))
      (func (export "oob_fill") (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))
      (func $rec (export "recurse") (call $rec))
      (func (export "undefined") (call_indirect (type $v) (i32.const 5)))
      (func (export "uninitialized") (call_indirect (type $v) (i32.const 1)))
      (func (export "mismatch") (result i32) (call_indirect (result i32) (i32.const 0)))
      (func (export "table_oob") (result funcref) (table.get 0 (i32.const 2)))
    )"#;

    #[test]
    fn every_trap_code() {
        let engine = Engine::default();
        let (mut store, instance) = instance(&engine, TRAPS);
        let cases = [
            ("unreachable", TrapCode::Unreachable, "unreachable"),
            (
                "div_zero",
                TrapCode::IntegerDivisionByZero,
                "integer divide by zero",
            ),
            (
                "rem_zero",
                TrapCode::IntegerDivisionByZero,
                "integer divide by zero",
            ),
            ("overflow", TrapCode::IntegerOverflow, "integer overflow"),
            (
                "trunc_nan",
                TrapCode::BadConversionToInteger,
                "invalid conversion to integer",
            ),
            ("trunc_big", TrapCode::IntegerOverflow, "integer overflow"),
            (
                "oob_load",
                TrapCode::MemoryOutOfBounds,
                "out of bounds memory access",
            ),
            (
                "oob_store",
                TrapCode::MemoryOutOfBounds,
                "out of bounds memory access",
            ),
            (
                "oob_fill",
                TrapCode::MemoryOutOfBounds,
                "out of bounds memory access",
            ),
            ("recurse", TrapCode::StackOverflow, "call stack exhausted"),
            ("undefined", TrapCode::UndefinedElement, "undefined element"),
            (
                "uninitialized",
                TrapCode::UninitializedElement,
                "uninitialized element",
            ),
            (
                "mismatch",
                TrapCode::IndirectCallTypeMismatch,
                "indirect call type mismatch",
            ),
            (
                "table_oob",
                TrapCode::TableOutOfBounds,
                "out of bounds table access",
            ),
        ];
        for (name, code, message) in cases {
            let func = instance.get_func(&mut store, name).unwrap();
            let mut results = vec![Val::I32(0); func.ty(&store).results().len()];
            let trap = trap_of(func.call(&mut store, &[], &mut results));
            assert_eq!(trap.code(), code, "{name}");
            assert_eq!(trap.message(), message, "{name}");
            assert!(
                trap.to_string()
                    .starts_with(&format!("wasm trap: {message}"))
            );
        }
        // The store is still usable after all those traps.
        let f = typed::<(), i32>(&mut store, instance, "div_zero");
        assert!(f.call(&mut store, ()).is_err());
    }

    #[test]
    fn backtrace_names_functions_and_offsets() {
        let engine = Engine::default();
        let (mut store, instance) = instance(
            &engine,
            r#"(module $m
                (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
                (func $middle (param i32) (result i32) (call $inner (local.get 0)))
                (func (export "outer") (param i32) (result i32) (call $middle (local.get 0))))"#,
        );
        let f = typed::<i32, i32>(&mut store, instance, "outer");
        let trap = trap_of(f.call(&mut store, 0));
        let names: Vec<_> = trap.frames().iter().map(|f| f.func_name()).collect();
        assert_eq!(names, [Some("inner"), Some("middle"), None]);
        assert_eq!(trap.frames()[2].func_index(), 2);
        assert!(trap.frames().iter().all(|f| f.module_offset().is_some()));
        assert_eq!(trap.frames()[0].module_name(), Some("m"));
        let text = trap.to_string();
        assert!(text.contains("m!inner"), "{text}");
    }

    #[test]
    fn host_error_and_panic_cross_wasm() {
        let engine = Engine::default();
        let module = Module::new(
            &engine,
            r#"(module (import "" "f" (func $f (param i32)))
                 (func (export "run") (param i32) (call $f (local.get 0))))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let f = Func::wrap(&mut store, |x: i32| -> Result<()> {
            if x == 1 {
                anyhow::bail!("host says no");
            }
            if x == 2 {
                panic!("host panics");
            }
            Ok(())
        });
        let instance = Instance::new(&mut store, &module, &[f.into()]).unwrap();
        let run = typed::<i32, ()>(&mut store, instance, "run");
        run.call(&mut store, 0).unwrap();
        let err = run.call(&mut store, 1).unwrap_err();
        assert_eq!(err.to_string(), "host says no");
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = run.call(&mut store, 2);
        }));
        assert!(panic.is_err());
        run.call(&mut store, 0).unwrap();
    }

    #[test]
    fn trap_inside_host_call_inside_wasm() {
        let engine = Engine::default();
        let module = Module::new(
            &engine,
            r#"(module (import "" "host" (func $host (param i32) (result i32)))
                 (func (export "outer") (param i32) (result i32) (call $host (local.get 0)))
                 (func (export "inner") (param i32) (result i32) (i32.div_s (i32.const 10) (local.get 0))))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let host = Func::wrap(
            &mut store,
            |mut caller: Caller<'_, ()>, x: i32| -> Result<i32> {
                let inner = caller.get_export("inner").unwrap().into_func().unwrap();
                let inner = inner.typed::<i32, i32>(&caller)?;
                // The inner trap comes back here, as a value.
                let trap = inner.call(&mut caller, 0).unwrap_err();
                assert_eq!(
                    trap.downcast_ref::<Trap>().unwrap().code(),
                    TrapCode::IntegerDivisionByZero
                );
                inner.call(&mut caller, x)
            },
        );
        let instance = Instance::new(&mut store, &module, &[host.into()]).unwrap();
        let outer = typed::<i32, i32>(&mut store, instance, "outer");
        assert_eq!(outer.call(&mut store, 5).unwrap(), 2);
        // Propagated through the outer wasm frame to the host.
        let trap = trap_of(outer.call(&mut store, 0));
        assert_eq!(trap.code(), TrapCode::IntegerDivisionByZero);
    }

    #[test]
    fn traps_on_many_threads() {
        let engine = Engine::default();
        let module = Module::new(&engine, TRAPS).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (engine, module) = (engine.clone(), module.clone());
                std::thread::spawn(move || {
                    let mut store = Store::new(&engine, ());
                    let instance = Instance::new(&mut store, &module, &[]).unwrap();
                    let f = typed::<(), i32>(&mut store, instance, "oob_load");
                    for _ in 0..2000 {
                        assert_eq!(
                            trap_of(f.call(&mut store, ())).code(),
                            TrapCode::MemoryOutOfBounds
                        );
                    }
                    let r = typed::<(), ()>(&mut store, instance, "recurse");
                    assert_eq!(
                        trap_of(r.call(&mut store, ())).code(),
                        TrapCode::StackOverflow
                    );
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    fn resident_kib() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    #[test]
    fn a_million_traps_leak_nothing() {
        let engine = Engine::default();
        let (mut store, instance) = instance(&engine, TRAPS);
        let f = typed::<(), i32>(&mut store, instance, "div_zero");
        for _ in 0..20_000 {
            assert!(f.call(&mut store, ()).is_err());
        }
        let (rss, fds) = (resident_kib(), open_fds());
        for _ in 0..1_000_000 {
            assert!(f.call(&mut store, ()).is_err());
        }
        let grown = resident_kib().saturating_sub(rss);
        assert!(grown < 8 * 1024, "resident memory grew by {grown} KiB");
        assert!(open_fds() <= fds, "file descriptors leaked");
    }
}

mod memory {
    use super::*;

    const MEM: &str = r#"(module
      (memory (export "mem") 1 4)
      (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "load16") (param i32) (result i32) (i32.load16_s (local.get 0)))
      (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
      (func (export "loadf64") (param i32) (result f64) (f64.load (local.get 0)))
      (func (export "load_far") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
      (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "store8") (param i32 i32) (i32.store8 offset=7 (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
    )"#;

    fn oob<T: std::fmt::Debug>(r: Result<T>) -> bool {
        trap_of(r).code() == TrapCode::MemoryOutOfBounds
    }

    /// The same checks in every bounds-checking configuration.
    fn check(engine: &Engine) {
        let (mut store, instance) = instance(engine, MEM);
        let load8 = typed::<i32, i32>(&mut store, instance, "load8");
        let load16 = typed::<i32, i32>(&mut store, instance, "load16");
        let load32 = typed::<i32, i32>(&mut store, instance, "load32");
        let load64 = typed::<i32, i64>(&mut store, instance, "load64");
        let loadf64 = typed::<i32, f64>(&mut store, instance, "loadf64");
        let load_far = typed::<i32, i32>(&mut store, instance, "load_far");
        let store32 = typed::<(i32, i32), ()>(&mut store, instance, "store32");
        let store8 = typed::<(i32, i32), ()>(&mut store, instance, "store8");
        let grow = typed::<i32, i32>(&mut store, instance, "grow");
        let size = typed::<(), i32>(&mut store, instance, "size");

        store32.call(&mut store, (65532, -2)).unwrap();
        assert_eq!(load32.call(&mut store, 65532).unwrap(), -2);
        assert_eq!(load16.call(&mut store, 65534).unwrap(), -1);
        assert_eq!(load8.call(&mut store, 65535).unwrap(), 255);
        // Unaligned accesses are fine.
        store32.call(&mut store, (1, 0x0403_0201)).unwrap();
        assert_eq!(load8.call(&mut store, 2).unwrap(), 2);
        // The last byte of each width is in bounds, one more is not.
        assert!(oob(load8.call(&mut store, 65536)));
        assert!(oob(load16.call(&mut store, 65535)));
        assert!(oob(load32.call(&mut store, 65533)));
        assert!(oob(load64.call(&mut store, 65529)));
        assert!(oob(loadf64.call(&mut store, -1)));
        assert!(oob(store32.call(&mut store, (65533, 0))));
        assert!(oob(store8.call(&mut store, (65529, 0))));
        // A negative address is a large unsigned one, never sign-extended.
        assert!(oob(load8.call(&mut store, -1)));
        assert!(oob(load_far.call(&mut store, 0x20)));
        // A failed store writes nothing.
        assert_eq!(load32.call(&mut store, 65532).unwrap(), -2);

        assert_eq!(size.call(&mut store, ()).unwrap(), 1);
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
        assert_eq!(load8.call(&mut store, 65536).unwrap(), 0);
        assert!(oob(load8.call(&mut store, 131072)));
        // Past the maximum: -1, no trap, size unchanged.
        assert_eq!(grow.call(&mut store, 3).unwrap(), -1);
        assert_eq!(grow.call(&mut store, -1).unwrap(), -1);
        assert_eq!(size.call(&mut store, ()).unwrap(), 2);
        assert_eq!(grow.call(&mut store, 2).unwrap(), 2);
        assert_eq!(size.call(&mut store, ()).unwrap(), 4);
        let mem = instance.get_memory(&mut store, "mem").unwrap();
        assert_eq!(mem.data(&store).len(), 4 * 65536);
        assert_eq!(mem.data(&store)[65532..65536], [0xfe, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn guard_pages() {
        check(&Engine::default());
    }

    #[test]
    fn explicit_bounds_checks_without_guard() {
        check(&engine_with(|c| {
            c.memory_guard_size(0);
        }));
    }

    #[test]
    fn explicit_bounds_checks_with_small_reservation() {
        check(&engine_with(|c| {
            c.memory_reservation(16 << 20).memory_guard_size(64 << 10);
        }));
    }

    #[test]
    fn grow_stops_at_the_configured_reservation() {
        let engine = engine_with(|c| {
            c.memory_reservation(4 << 16);
        });
        let (mut store, instance) = instance(
            &engine,
            r#"(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
        );
        let grow = typed::<i32, i32>(&mut store, instance, "grow");
        assert_eq!(grow.call(&mut store, 3).unwrap(), 1);
        assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    }
}

mod stack_overflow {
    use super::*;

    const DEEP: &str = r#"(module
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#;

    #[test]
    fn max_wasm_stack_is_configurable() {
        let small = engine_with(|c| {
            c.max_wasm_stack(64 * 1024);
        });
        let (mut store, inst) = instance(&small, DEEP);
        let rec = inst.get_typed_func::<i32, i32>(&mut store, "rec").unwrap();
        assert_eq!(rec.call(&mut store, 100).unwrap(), 100);
        assert_eq!(
            trap_of(rec.call(&mut store, 100_000)).code(),
            TrapCode::StackOverflow
        );

        let (mut store, inst) = instance(&Engine::default(), DEEP);
        let rec = inst.get_typed_func::<i32, i32>(&mut store, "rec").unwrap();
        assert_eq!(rec.call(&mut store, 5000).unwrap(), 5000);
        assert_eq!(
            trap_of(rec.call(&mut store, 1_000_000)).code(),
            TrapCode::StackOverflow
        );
    }

    #[test]
    fn small_host_thread_stack_is_never_overrun() {
        // The default 512 KiB wasm stack does not fit a 256 KiB thread: the
        // limit follows the thread's real stack instead.
        let t = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let (mut store, instance) = instance(&Engine::default(), DEEP);
                let rec = typed::<i32, i32>(&mut store, instance, "rec");
                trap_of(rec.call(&mut store, 1_000_000)).code()
            })
            .unwrap();
        assert_eq!(t.join().unwrap(), TrapCode::StackOverflow);
    }
}

mod interrupt {
    use super::*;

    const SPIN: &str = r#"(module
      (func (export "spin") (loop (br 0)))
      (func (export "count") (param i32) (result i32) (local i32)
        (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1)))"#;

    #[test]
    fn fuel_stops_an_infinite_loop() {
        let engine = engine_with(|c| {
            c.consume_fuel(true);
        });
        let (mut store, instance) = instance(&engine, SPIN);
        let spin = typed::<(), ()>(&mut store, instance, "spin");
        let count = typed::<i32, i32>(&mut store, instance, "count");
        store.set_fuel(10_000).unwrap();
        assert_eq!(
            trap_of(spin.call(&mut store, ())).code(),
            TrapCode::OutOfFuel
        );
        assert_eq!(store.get_fuel().unwrap(), 0);
        store.set_fuel(1_000_000).unwrap();
        assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
        let used = 1_000_000 - store.get_fuel().unwrap();
        assert!((1000..20_000).contains(&used), "used {used}");
        // Without fuel configured, the fuel API is an error.
        let mut plain = Store::new(&Engine::default(), ());
        assert!(plain.set_fuel(1).is_err());
    }

    #[test]
    fn epoch_from_another_thread_stops_an_infinite_loop() {
        let engine = engine_with(|c| {
            c.epoch_interruption(true);
        });
        let (mut store, instance) = instance(&engine, SPIN);
        let spin = typed::<(), ()>(&mut store, instance, "spin");
        let count = typed::<i32, i32>(&mut store, instance, "count");
        // No deadline set: runs to completion.
        assert_eq!(count.call(&mut store, 100_000).unwrap(), 100_000);
        store.set_epoch_deadline(1);
        let ticker = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                engine.increment_epoch();
            })
        };
        assert_eq!(
            trap_of(spin.call(&mut store, ())).code(),
            TrapCode::Interrupt
        );
        ticker.join().unwrap();
        // Past the deadline, every entry traps until it is moved.
        assert_eq!(
            trap_of(count.call(&mut store, 1)).code(),
            TrapCode::Interrupt
        );
        store.set_epoch_deadline(1);
        assert_eq!(count.call(&mut store, 1).unwrap(), 1);
    }
}
