//! `Linker` and `InstancePre`: resolving imports by name, type errors that
//! name both types, host functions shared by many stores and threads.

use kiln_runtime::*;
use kiln_tests::typed;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const CLIENT: &str = r#"(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (import "host" "count" (func $count))
  (import "env" "mem" (memory 1))
  (import "env" "g" (global $g (mut i32)))
  (import "env" "tab" (table 1 funcref))
  (func (export "run") (param i32) (result i32)
    (call $count)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0) (local.get 0))
    (call $add (i32.load (i32.const 0)) (global.get $g)))
  (export "add" (func $add)))"#;

fn host_linker(engine: &Engine, calls: Arc<AtomicU32>) -> Linker<u32> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "add", |a: i32, b: i32| a.wrapping_add(b))
        .unwrap()
        .func_wrap("host", "count", move |mut caller: Caller<'_, u32>| {
            calls.fetch_add(1, Ordering::Relaxed);
            *caller.data_mut() += 1;
        })
        .unwrap();
    linker
}

fn define_env(linker: &mut Linker<u32>, store: &mut Store<u32>) {
    let mem = Memory::new(&mut *store, MemoryType::new(1, None)).unwrap();
    let g = Global::new(
        &mut *store,
        GlobalType::new(ValType::I32, Mutability::Var),
        Val::I32(10),
    )
    .unwrap();
    let tab = Table::new(
        &mut *store,
        TableType::new(ValType::FuncRef, 1, None),
        Val::FuncRef(None),
    )
    .unwrap();
    linker.define(&*store, "env", "mem", mem).unwrap();
    linker.define(&*store, "env", "g", g).unwrap();
    linker.define(&*store, "env", "tab", tab).unwrap();
}

#[test]
fn linker_resolves_host_functions_and_store_items() {
    let engine = Engine::default();
    let calls = Arc::new(AtomicU32::new(0));
    let mut linker = host_linker(&engine, calls.clone());
    let mut store = Store::new(&engine, 0u32);
    define_env(&mut linker, &mut store);
    let module = Module::new(&engine, CLIENT).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = typed::<i32, i32>(&mut store, instance, "run");
    assert_eq!(run.call(&mut store, 5).unwrap(), 16);
    assert_eq!(run.call(&mut store, 5).unwrap(), 17);
    assert_eq!(*store.data(), 2);
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    // A re-exported host function is callable from the host.
    let add = typed::<(i32, i32), i32>(&mut store, instance, "add");
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), 42);
    // `Linker::get` hands out store items and registers host functions.
    assert!(
        linker
            .get(&mut store, "env", "mem")
            .unwrap()
            .into_memory()
            .is_some()
    );
    let add = linker
        .get(&mut store, "host", "add")
        .unwrap()
        .into_func()
        .unwrap();
    let mut out = [Val::I32(0)];
    add.call(&mut store, &[Val::I32(1), Val::I32(2)], &mut out)
        .unwrap();
    assert!(matches!(out[0], Val::I32(3)));
    assert!(linker.get(&mut store, "host", "nope").is_none());
}

#[test]
fn errors_name_the_import_and_both_types() {
    let engine = Engine::default();
    let mut linker: Linker<()> = Linker::new(&engine);
    let module = Module::new(
        &engine,
        r#"(module (import "m" "f" (func (param i32) (result i64))))"#,
    )
    .unwrap();
    let err = linker.instantiate_pre(&module).err().unwrap().to_string();
    assert!(
        err.contains("`m::f`") && err.contains("not been defined"),
        "{err}"
    );
    assert!(err.contains("(func (param i32) (result i64))"), "{err}");

    linker.func_wrap("m", "f", |x: i32| x).unwrap();
    let err = linker.instantiate_pre(&module).err().unwrap().to_string();
    assert!(err.contains("`m::f`"), "{err}");
    assert!(
        err.contains("expected (func (param i32) (result i64))")
            && err.contains("found (func (param i32) (result i32))"),
        "{err}"
    );

    // Memory limits, global mutability, table limits.
    let mut store = Store::new(&engine, ());
    let small = Memory::new(&mut store, MemoryType::new(1, Some(2))).unwrap();
    linker.define(&store, "m", "mem", small).unwrap();
    let module = Module::new(&engine, r#"(module (import "m" "mem" (memory 2)))"#).unwrap();
    let err = linker.instantiate_pre(&module).err().unwrap().to_string();
    assert!(
        err.contains("`m::mem`") && err.contains("expected") && err.contains("found"),
        "{err}"
    );
    let g = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(1),
    )
    .unwrap();
    linker.define(&store, "m", "g", g).unwrap();
    let module = Module::new(&engine, r#"(module (import "m" "g" (global (mut i32))))"#).unwrap();
    let err = linker.instantiate_pre(&module).err().unwrap().to_string();
    assert!(
        err.contains("`m::g`") && err.contains("(global (mut i32))"),
        "{err}"
    );

    // Defining a name twice is an error unless shadowing is allowed.
    assert!(linker.func_wrap("m", "f", || {}).is_err());
    linker.allow_shadowing(true);
    linker.func_wrap("m", "f", |x: i32| i64::from(x)).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "m" "f" (func (param i32) (result i64))))"#,
    )
    .unwrap();
    linker.instantiate_pre(&module).unwrap();
}

#[test]
fn instance_pre_is_send_sync_clone_and_serves_many_stores_and_threads() {
    fn assert_traits<T: Send + Sync + Clone + 'static>(_: &T) {}
    let engine = Engine::default();
    let calls = Arc::new(AtomicU32::new(0));
    let linker = host_linker(&engine, calls.clone());
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "add" (func $add (param i32 i32) (result i32)))
          (import "host" "count" (func $count))
          (memory 1)
          (global $g (mut i32) (i32.const 7))
          (func (export "run") (param i32) (result i32)
            (call $count)
            (i32.store (i32.const 8) (local.get 0))
            (call $add (i32.load (i32.const 8)) (global.get $g))))"#,
    )
    .unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    assert_traits(&pre);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let pre = pre.clone();
            let engine = engine.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    let mut store = Store::new(&engine, 0u32);
                    let instance = pre.instantiate(&mut store).unwrap();
                    let run = typed::<i32, i32>(&mut store, instance, "run");
                    assert_eq!(run.call(&mut store, i + t).unwrap(), i + t + 7);
                    assert_eq!(*store.data(), 1);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(calls.load(Ordering::Relaxed), 1000);
}

#[test]
fn store_bound_definitions_stay_in_their_store() {
    let engine = Engine::default();
    let mut linker: Linker<u32> = Linker::new(&engine);
    let mut store = Store::new(&engine, 0);
    define_env(&mut linker, &mut store);
    let calls = Arc::new(AtomicU32::new(0));
    let mut linker2 = host_linker(&engine, calls);
    define_env(&mut linker2, &mut store);
    let module = Module::new(&engine, CLIENT).unwrap();
    let pre = linker2.instantiate_pre(&module).unwrap();
    pre.instantiate(&mut store).unwrap();
    let mut other = Store::new(&engine, 0);
    let err = pre.instantiate(&mut other).err().unwrap().to_string();
    assert!(err.contains("another store"), "{err}");
    // A store of another engine is refused too.
    let mut foreign = Store::new(&Engine::default(), 0);
    assert!(pre.instantiate(&mut foreign).is_err());
}

#[test]
fn start_trap_is_returned_and_instances_link_by_name() {
    let engine = Engine::default();
    let mut linker: Linker<()> = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let lib = Module::new(
        &engine,
        r#"(module (func (export "seven") (result i32) (i32.const 7))
                   (memory (export "mem") 1))"#,
    )
    .unwrap();
    linker.module(&mut store, "lib", &lib).unwrap();
    let user = Module::new(
        &engine,
        r#"(module (import "lib" "seven" (func $s (result i32)))
                   (import "lib" "mem" (memory 1))
                   (func (export "f") (result i32) (i32.mul (call $s) (i32.const 6))))"#,
    )
    .unwrap();
    let instance = linker.instantiate(&mut store, &user).unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 42);

    let trapping = Module::new(
        &engine,
        r#"(module (func $start unreachable) (start $start))"#,
    )
    .unwrap();
    let pre = linker.instantiate_pre(&trapping).unwrap();
    let err = pre.instantiate(&mut store).err().unwrap();
    let trap = err.downcast_ref::<Trap>().expect("a trap");
    assert_eq!(trap.code(), TrapCode::Unreachable);
}

/// A module compiled by an engine for another architecture
/// (`Config::target`) is never run here: every way of instantiating it
/// is an error that says why.
#[test]
fn modules_for_another_target_are_never_run() {
    let other = if cfg!(target_arch = "x86_64") {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    };
    let mut config = Config::new();
    config.target(other).unwrap();
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (result i32) i32.const 7))"#,
    )
    .expect("compiles for the other target");
    let mut store = Store::new(&engine, 0u32);
    let err = Instance::new(&mut store, &module, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot instantiate") && err.contains(other),
        "{err}"
    );
    let linker = Linker::<u32>::new(&engine);
    let err = linker.instantiate_pre(&module).err().unwrap().to_string();
    assert!(err.contains("cannot instantiate"), "{err}");
    // Host functions are host code: calling one runs no compiled code.
    let host = Func::wrap(&mut store, |x: i32| x + 1);
    let mut result = [Val::I32(0)];
    host.call(&mut store, &[Val::I32(1)], &mut result).unwrap();
    assert!(matches!(result[0], Val::I32(2)));
    // The module itself is complete: it serializes for that machine.
    assert!(module.serialize().unwrap().len() > 64);
}

/// Exports are found by name whatever their number (a few are compared
/// in turn, many are hashed), in compiled and in deserialized modules, and
/// a missing name is `None`.
#[test]
fn exports_found_by_name_few_or_many() {
    let engine = Engine::default();
    for n in [1, 31, 32, 33, 100] {
        let mut wat = String::from("(module\n");
        for i in 0..n {
            wat.push_str(&format!(
                "  (func (export \"f{i}\") (result i32) (i32.const {i}))\n"
            ));
        }
        wat.push_str("  (global (export \"g\") i32 (i32.const -1)))");
        let compiled = Module::new(&engine, &wat).unwrap();
        let bytes = compiled.serialize().unwrap();
        // SAFETY: `bytes` was serialized just above, by this engine.
        let loaded = unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
        for module in [compiled, loaded] {
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            for i in [0, n / 2, n - 1] {
                let f = instance
                    .get_typed_func::<(), i32>(&mut store, &format!("f{i}"))
                    .unwrap();
                assert_eq!(f.call(&mut store, ()).unwrap(), i, "{n} exports");
            }
            assert!(instance.get_global(&mut store, "g").is_some());
            assert!(instance.get_func(&mut store, "g").is_none());
            assert!(instance.get_export(&mut store, &format!("f{n}")).is_none());
            assert!(instance.get_export(&mut store, "").is_none());
        }
    }
}
