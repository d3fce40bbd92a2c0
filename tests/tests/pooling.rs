//! Instance allocation: pooled memory slots are reset between instances,
//! copy-on-write memory images give the same contents as copying, and
//! exhausting the pool is an error.

use kiln_runtime::*;
use kiln_tests::typed;

/// A two-page memory with "hello" at 100 (placed by `$hello`, a data
/// segment, after `$imports`) and "world" at 70000, and functions to read,
/// write, fill and grow it.
macro_rules! memory_module {
    ($imports:literal, $hello:literal) => {
        concat!(
            "(module ",
            $imports,
            r#"
  (memory (export "mem") 2)
  "#,
            $hello,
            r#"
  (data (i32.const 70000) "world")
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "fill") (param i32 i32)
    (memory.fill (local.get 0) (i32.const 0xaa) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#
        )
    };
}

/// Constant segment offsets: the data becomes a memory image.
const MODULE: &str = memory_module!("", r#"(data (i32.const 100) "hello")"#);

/// A segment at an offset from an imported global (100): no image, copied.
const NO_IMAGE: &str = memory_module!(
    r#"(import "env" "at" (global i32))"#,
    r#"(data (global.get 0) "hello")"#
);

fn pooling(f: impl FnOnce(&mut PoolingAllocationConfig)) -> Engine {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_memories(4).total_core_instances(4);
    f(&mut pool);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::pooling(pool));
    Engine::new(&config).unwrap()
}

fn instantiate_module(engine: &Engine, module: &Module, store: &mut Store<()>) -> Result<Instance> {
    let mut linker = Linker::new(engine);
    let at = Global::new(
        &mut *store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(100),
    )?;
    linker.define(&*store, "env", "at", at)?;
    linker.instantiate(store, module)
}

/// Writes over the data and grows the memory, then checks that a fresh
/// instance sees the original contents and size.
fn check_reset(engine: &Engine, wat: &str) {
    let module = Module::new(engine, wat).unwrap();
    check_reset_with(engine, || module.clone());
}

/// [`check_reset`] with modules from `load`.
fn check_reset_with(engine: &Engine, load: impl Fn() -> Module) {
    for round in 0..6 {
        let mut store = Store::new(engine, ());
        let instance = instantiate_module(engine, &load(), &mut store).unwrap();
        let peek = typed::<i32, i32>(&mut store, instance, "peek");
        let poke = typed::<(i32, i32), ()>(&mut store, instance, "poke");
        let grow = typed::<i32, i32>(&mut store, instance, "grow");
        assert_eq!(
            peek.call(&mut store, 100).unwrap(),
            i32::from(b'h'),
            "round {round}"
        );
        assert_eq!(peek.call(&mut store, 70000).unwrap(), i32::from(b'w'));
        assert_eq!(peek.call(&mut store, 5000).unwrap(), 0, "round {round}");
        assert_eq!(peek.call(&mut store, 131071).unwrap(), 0);
        // Out of bounds past the initial size.
        assert!(peek.call(&mut store, 131072).is_err());
        poke.call(&mut store, (100, 1)).unwrap();
        poke.call(&mut store, (5000, 2)).unwrap();
        poke.call(&mut store, (131071, 3)).unwrap();
        assert_eq!(grow.call(&mut store, 1).unwrap(), 2);
        poke.call(&mut store, (131072 + 10, 4)).unwrap();
        let mem = instance.get_memory(&mut store, "mem").unwrap();
        assert_eq!(mem.data(&store)[100], 1);
    }
}

#[test]
fn pooled_slots_are_reset_with_and_without_images() {
    let engine = pooling(|_| {});
    check_reset(&engine, MODULE);
    check_reset(&engine, NO_IMAGE);
    // Alternating modules in the same slots.
    check_reset(&engine, MODULE);
}

#[test]
fn resets_by_copying_and_by_madvise() {
    // 0: every written page goes back to the kernel; 8 KiB: fewer pages
    // than a round writes, so a mix over rounds; 1 MiB: always copied.
    for keep in [0, 8 << 10, 1 << 20] {
        let engine = pooling(|p| {
            p.linear_memory_keep_resident(keep);
        });
        check_reset(&engine, MODULE);
        check_reset(&engine, NO_IMAGE);
        check_reset(&engine, MODULE);
    }
}

#[test]
fn on_demand_images_match_copying() {
    let engine = Engine::default();
    check_reset(&engine, MODULE);
    check_reset(&engine, NO_IMAGE);
}

/// Freed on-demand memories keep their image mapped for the next memory of
/// the same module: memories of modules with other images, or none, that
/// reuse those reservations never see it, nor what earlier instances wrote.
#[test]
fn on_demand_reservations_alternate_between_modules() {
    const OTHER: &str = memory_module!("", r#"(data (i32.const 200) "other")"#);
    let engine = Engine::default();
    let modules: Vec<(Module, [u8; 2])> = [
        (MODULE, [b'h', 0]),
        (OTHER, [0, b'o']),
        (NO_IMAGE, [b'h', 0]),
    ]
    .into_iter()
    .map(|(wat, expect)| (Module::new(&engine, wat).unwrap(), expect))
    .collect();
    for round in 0..8 {
        // Several live at once, in varying orders, so reservations move
        // between modules.
        let mut stores = Vec::new();
        for k in 0..modules.len() {
            let (module, [at_100, at_200]) = &modules[(round + k) % modules.len()];
            let mut store = Store::new(&engine, ());
            let instance = instantiate_module(&engine, module, &mut store).unwrap();
            let peek = typed::<i32, i32>(&mut store, instance, "peek");
            let poke = typed::<(i32, i32), ()>(&mut store, instance, "poke");
            let grow = typed::<i32, i32>(&mut store, instance, "grow");
            assert_eq!(
                peek.call(&mut store, 100).unwrap(),
                i32::from(*at_100),
                "round {round}"
            );
            assert_eq!(
                peek.call(&mut store, 200).unwrap(),
                i32::from(*at_200),
                "round {round}"
            );
            assert_eq!(peek.call(&mut store, 300).unwrap(), 0, "round {round}");
            assert!(peek.call(&mut store, 131072).is_err(), "round {round}");
            poke.call(&mut store, (100, 7)).unwrap();
            poke.call(&mut store, (200, 7)).unwrap();
            poke.call(&mut store, (300, 7)).unwrap();
            if round % 2 == 0 {
                assert_eq!(grow.call(&mut store, 1).unwrap(), 2);
                poke.call(&mut store, (131072 + 10, 7)).unwrap();
            }
            stores.push(store);
        }
    }
}

/// More on-demand memories live at once than the allocator keeps
/// reservations for: the surplus is unmapped when freed, the rest kept,
/// and every later memory, on a kept reservation or a new one, starts
/// from the module's image.
#[test]
fn on_demand_reservations_beyond_those_kept() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    for round in 0..3 {
        let mut store = Store::new(&engine, ());
        for i in 0..300 {
            let instance = instantiate_module(&engine, &module, &mut store).unwrap();
            let peek = typed::<i32, i32>(&mut store, instance, "peek");
            let poke = typed::<(i32, i32), ()>(&mut store, instance, "poke");
            assert_eq!(
                peek.call(&mut store, 100).unwrap(),
                i32::from(b'h'),
                "round {round}, {i}"
            );
            assert_eq!(
                peek.call(&mut store, 5000).unwrap(),
                0,
                "round {round}, {i}"
            );
            poke.call(&mut store, (100, 1)).unwrap();
            poke.call(&mut store, (5000, 2)).unwrap();
        }
    }
}

/// A freed on-demand memory is reset in its kept reservation by copying
/// back what was written, up to 64 KiB of pages, and by returning the
/// written pages to the kernel beyond that: either way, the next memory
/// to get the reservation starts from the module's data over zeroes,
/// with or without an image.
#[test]
fn on_demand_reservations_reset_by_copying_and_by_discarding() {
    let engine = Engine::default();
    for wat in [MODULE, NO_IMAGE] {
        let module = Module::new(&engine, wat).unwrap();
        // One byte, a few pages, then past the 64 KiB copied back (the
        // fill covers "world" too), then the whole memory.
        for len in [1, 3 << 12, 100 << 10, 2 << 16] {
            for round in 0..3 {
                let mut store = Store::new(&engine, ());
                let instance = instantiate_module(&engine, &module, &mut store).unwrap();
                let peek = typed::<i32, i32>(&mut store, instance, "peek");
                let fill = typed::<(i32, i32), ()>(&mut store, instance, "fill");
                let mem = instance.get_memory(&mut store, "mem").unwrap();
                let data = mem.data(&store);
                let context = format!("{len} bytes filled, round {round}");
                assert_eq!(&data[100..105], b"hello", "{context}");
                assert_eq!(&data[70000..70005], b"world", "{context}");
                let nonzero = data
                    .iter()
                    .enumerate()
                    .filter(|(at, b)| **b != 0 && !(100..105).contains(at))
                    .filter(|(at, _)| !(70000..70005).contains(at))
                    .count();
                assert_eq!(nonzero, 0, "{context}");
                let start = if len == 2 << 16 { 0 } else { 5000 };
                fill.call(&mut store, (start, len)).unwrap();
                assert_eq!(peek.call(&mut store, start + len - 1).unwrap(), 0xaa);
            }
        }
    }
}

/// Modules loaded from precompiled files map their memory image straight
/// from the file: instances see the data, their writes stay private (the
/// file and later instances are unchanged), on demand and pooled.
#[test]
fn images_mapped_from_precompiled_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pooling-cwasm");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, engine) in [
        Engine::default(),
        pooling(|_| {}),
        pooling(|p| {
            p.linear_memory_keep_resident(0);
        }),
    ]
    .into_iter()
    .enumerate()
    {
        for (name, wat) in [("image", MODULE), ("no-image", NO_IMAGE)] {
            let path = dir.join(format!("{name}-{n}.cwasm"));
            let bytes = Module::new(&engine, wat).unwrap().serialize().unwrap();
            std::fs::write(&path, &bytes).unwrap();
            // SAFETY: the file was just written from `serialize`.
            let load = || unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
            check_reset_with(&engine, load);
            // One module, many instances.
            let module = load();
            check_reset_with(&engine, || module.clone());
            // While an instance lives, its image is a private writable
            // mapping of the file itself (not of a memfd copy).
            let mut store = Store::new(&engine, ());
            let _instance = instantiate_module(&engine, &module, &mut store).unwrap();
            let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
            let file_name = path.to_str().unwrap();
            let mapped_rw = maps
                .lines()
                .any(|l| l.ends_with(file_name) && l.contains(" rw-p "));
            assert_eq!(mapped_rw, name == "image", "{name}: {maps}");
            drop(store);
            drop(module);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes,
                "the file is unchanged"
            );
            // SAFETY: as above.
            let from_bytes = || unsafe { Module::deserialize(&engine, &bytes) }.unwrap();
            check_reset_with(&engine, from_bytes);
        }
    }
}

#[test]
fn exhausting_the_pool_is_an_error() {
    let engine = pooling(|p| {
        p.max_memory_size(4 << 16);
    });
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, "(module (memory 1))").unwrap();
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(Instance::new(&mut store, &module, &[]).unwrap());
    }
    let err = Instance::new(&mut store, &module, &[])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("limit") || err.contains("in use"), "{err}");
    drop(store);
    // Everything was returned: the pool serves again.
    let mut store = Store::new(&engine, ());
    for _ in 0..4 {
        Instance::new(&mut store, &module, &[]).unwrap();
    }
    drop(store);
    // A memory larger than a slot allows is refused, not crashed.
    let mut store = Store::new(&engine, ());
    let big = Module::new(&engine, "(module (memory 5))").unwrap();
    let err = Instance::new(&mut store, &big, &[])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("exceeds"), "{err}");
    // Growth stops at the slot limit.
    let grower = Module::new(
        &engine,
        r#"(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &grower, &[]).unwrap();
    let grow = typed::<i32, i32>(&mut store, instance, "grow");
    assert_eq!(grow.call(&mut store, 3).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
}

#[test]
fn pooled_instances_on_two_threads() {
    let engine = pooling(|p| {
        p.total_memories(8).total_core_instances(8);
    });
    let module = Module::new(&engine, MODULE).unwrap();
    let pre = Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
    std::thread::scope(|s| {
        for t in 0..2 {
            let pre = pre.clone();
            let engine = engine.clone();
            s.spawn(move || {
                for i in 0..300 {
                    let mut store = Store::new(&engine, ());
                    let instance = pre.instantiate(&mut store).unwrap();
                    let peek = typed::<i32, i32>(&mut store, instance, "peek");
                    let poke = typed::<(i32, i32), ()>(&mut store, instance, "poke");
                    assert_eq!(peek.call(&mut store, 101).unwrap(), i32::from(b'e'));
                    assert_eq!(peek.call(&mut store, 200).unwrap(), 0);
                    poke.call(&mut store, (200, t * 1000 + i)).unwrap();
                    poke.call(&mut store, (101, 0)).unwrap();
                }
            });
        }
    });
}

/// A lazily initialized table of 10,000 elements (a mapping of its own
/// on demand; `$f` at 1100 and 3000) and an `externref`
/// table, written by inline `table.set`, by `table.fill` and by the host.
const TABLE_MODULE: &str = r#"(module
  (table $t (export "t") 10000 funcref)
  (table $e (export "e") 10 externref)
  (type $r (func (result i32)))
  (func $f (result i32) (i32.const 7))
  (elem (table $t) (i32.const 1100) func $f)
  (elem (table $t) (i32.const 3000) func $f)
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0)))
  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $f)))
  (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $f) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $f) (local.get 0)))
  (func (export "e_null") (param i32) (result i32) (ref.is_null (table.get $e (local.get 0)))))"#;

/// Dirties a pooled table every way there is, then checks that the next
/// instance in the same slot starts from the module's initial contents.
fn check_table_reset(engine: &Engine) {
    let module = Module::new(engine, TABLE_MODULE).unwrap();
    for round in 0..6 {
        let mut store = Store::new(engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let call = typed::<i32, i32>(&mut store, instance, "call");
        for i in [1100, 3000] {
            assert_eq!(call.call(&mut store, i).unwrap(), 7, "round {round}");
        }
        // Elements set by inline stores in earlier rounds (in this slot or
        // another) are uninitialized again.
        for i in (20..20 + round).chain([2999, 9999]) {
            let err = call.call(&mut store, i).unwrap_err();
            assert_eq!(
                kiln_tests::trap_code(&err),
                Some(TrapCode::UninitializedElement),
                "round {round}, element {i}"
            );
        }
        let e_null = typed::<i32, i32>(&mut store, instance, "e_null");
        assert_eq!(e_null.call(&mut store, 9).unwrap(), 1, "round {round}");
        let table = instance.get_table(&mut store, "t").unwrap();
        assert_eq!(table.size(&store), 10000, "round {round}");

        // An element not touched otherwise in this round, in a page below
        // every element written otherwise (and past the `externref` table,
        // which may take this slot next): only the inline-store marking
        // gets it reset.
        typed::<i32, ()>(&mut store, instance, "set")
            .call(&mut store, 20 + round)
            .unwrap();
        typed::<(i32, i32), ()>(&mut store, instance, "fill")
            .call(&mut store, (1500, 1000))
            .unwrap();
        // Growing moves an on-demand table off its mapping; every other
        // round keeps it there, so the next round reuses it.
        if round % 2 == 1 {
            let grow = typed::<i32, i32>(&mut store, instance, "grow");
            assert_eq!(grow.call(&mut store, 5).unwrap(), 10000);
            assert_eq!(call.call(&mut store, 10004).unwrap(), 7);
        }
        let f = instance.get_func(&mut store, "call").unwrap();
        table.set(&mut store, 9999, Val::FuncRef(Some(f))).unwrap();
        let e = instance.get_table(&mut store, "e").unwrap();
        let data = ExternRef::new(&mut store, round);
        e.set(&mut store, 9, Val::ExternRef(Some(data))).unwrap();
        assert_eq!(call.call(&mut store, 20 + round).unwrap(), 7);
        assert_eq!(e_null.call(&mut store, 9).unwrap(), 0);
    }
}

#[test]
fn pooled_tables_are_reset() {
    check_table_reset(&pooling(|_| {}));
    // Dirty ranges reset with memset rather than madvise.
    check_table_reset(&pooling(|p| {
        p.table_keep_resident(1 << 20);
    }));
    check_table_reset(&Engine::default());
}

#[test]
fn pooled_table_limits_are_errors() {
    let engine = pooling(|p| {
        p.total_tables(2).table_elements(100);
    });
    let mut store = Store::new(&engine, ());
    let small = Module::new(
        &engine,
        r#"(module (table 10 funcref)
             (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#,
    )
    .unwrap();
    let a = Instance::new(&mut store, &small, &[]).unwrap();
    Instance::new(&mut store, &small, &[]).unwrap();
    let err = Instance::new(&mut store, &small, &[]).err().unwrap();
    assert!(err.to_string().contains("table slots"), "{err}");
    let grow = typed::<i32, i32>(&mut store, a, "grow");
    assert_eq!(grow.call(&mut store, 90).unwrap(), 10);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    drop(store);
    let mut store = Store::new(&engine, ());
    let big = Module::new(&engine, "(module (table 101 funcref))").unwrap();
    let err = Instance::new(&mut store, &big, &[]).err().unwrap();
    assert!(err.to_string().contains("exceeds"), "{err}");
}

/// A module beyond the pool's per-module limits fails when it is built,
/// compiled or deserialized, with an error naming the limit; one within
/// them instantiates.
#[test]
fn per_module_limits_are_checked_when_modules_are_built() {
    let two_tables = "(module (table 1 funcref) (table 2 funcref))";
    let engine = pooling(|p| {
        p.total_tables(4).max_tables_per_module(1);
    });
    let err = Module::new(&engine, two_tables).unwrap_err();
    assert!(
        format!("{err:#}")
            .contains("defined tables count of 2 exceeds the per-instance limit of 1"),
        "{err:#}"
    );
    let unlimited = Engine::default();
    let bytes = Module::new(&unlimited, two_tables)
        .unwrap()
        .serialize()
        .unwrap();
    // SAFETY: bytes this process just serialized.
    let err = unsafe { Module::deserialize(&engine, &bytes) }.unwrap_err();
    assert!(format!("{err:#}").contains("tables count of 2"), "{err:#}");

    let engine = pooling(|p| {
        p.max_memories_per_module(0);
    });
    let err = Module::new(&engine, "(module (memory 1))").unwrap_err();
    assert!(
        format!("{err:#}").contains("memories count of 1 exceeds the per-instance limit of 0"),
        "{err:#}"
    );

    let engine = pooling(|p| {
        p.max_core_instance_size(256);
    });
    let small = Module::new(&engine, "(module (global (mut i32) (i32.const 1)))").unwrap();
    let mut store = Store::new(&engine, ());
    Instance::new(&mut store, &small, &[]).unwrap();
    let mut big = String::from("(module");
    for i in 0..64 {
        big.push_str(&format!(r#" (import "m" "f{i}" (func))"#));
    }
    big.push(')');
    let err = Module::new(&engine, &big).unwrap_err();
    assert!(
        format!("{err:#}").contains("exceeds the configured maximum of 256 bytes"),
        "{err:#}"
    );
}

/// A module of `n` functions, function `i` returning `i + base`, all in a
/// table, and `call(i)` calling function `i` through it (its `VMFuncRef`).
fn many_functions(n: u32, base: i32) -> String {
    let mut wat = String::from("(module (type $r (func (result i32)))\n");
    wat.push_str(&format!(
        "  (table {n} funcref)\n  (elem (i32.const 0) func"
    ));
    for i in 0..n {
        wat.push_str(&format!(" $f{i}"));
    }
    wat.push_str(")\n");
    for i in 0..n {
        wat.push_str(&format!(
            "  (func $f{i} (result i32) (i32.const {}))\n",
            i as i32 + base
        ));
    }
    wat.push_str(
        r#"  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))"#,
    );
    wat
}

/// Large VMContexts (here 500 function references) are reused from
/// freed instances, on demand and pooled: an instance of another module
/// with the same layout never sees the function references the previous
/// one wrote.
#[test]
fn reused_vmcontexts_start_afresh() {
    for engine in [Engine::default(), pooling(|_| {})] {
        let modules = [0, 1000].map(|base| {
            (
                Module::new(&engine, many_functions(500, base)).unwrap(),
                base,
            )
        });
        for round in 0..20 {
            let (module, base) = &modules[round % 2];
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, module, &[]).unwrap();
            let call = typed::<i32, i32>(&mut store, instance, "call");
            for i in [0, 7, 250, 499] {
                assert_eq!(call.call(&mut store, i).unwrap(), i + base, "round {round}");
            }
        }
    }
}

/// A memory freed without being written is not reset (see
/// `VMMemoryDefinition::written`), so every way of writing one must mark
/// it: each writer below writes byte 5000 (or 5000..5003), then a fresh
/// instance in the same slot or reservation must read zero there.
#[test]
fn every_way_of_writing_memory_marks_it_for_reset() {
    const WRITERS: &str = r#"(module
      (import "env" "host_poke" (func $host_poke (param i32 i32)))
      (memory (export "mem") 2)
      (data (i32.const 100) "hello")
      (data $d "xyz")
      (func $w (param i32 i32) local.get 0 local.get 1 i32.store8)
      (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "inlined") (param i32 i32) local.get 0 local.get 1 call $w)
      (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (local.get 1) (i32.const 3)))
      (func (export "copy") (param i32 i32) (memory.copy (local.get 0) (i32.const 100) (i32.const 3)))
      (func (export "copy_long") (param i32 i32)
        (memory.copy (local.get 0) (i32.const 100) (i32.const 40)))
      (func (export "init") (param i32 i32) (memory.init $d (local.get 0) (i32.const 0) (i32.const 3)))
      (func (export "host") (param i32 i32) local.get 0 local.get 1 call $host_poke))"#;
    // Imports the memory above and writes it.
    const IMPORTER: &str = r#"(module
      (import "w" "mem" (memory 2))
      (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"#;
    let writers = [
        "store",
        "inlined",
        "fill",
        "copy",
        "copy_long",
        "init",
        "host",
        "api",
        "importer",
    ];
    let on_demand = Engine::default();
    let pooled = pooling(|p| {
        p.total_memories(1);
    });
    for engine in [&on_demand, &pooled] {
        let module = Module::new(engine, WRITERS).unwrap();
        let importer = Module::new(engine, IMPORTER).unwrap();
        let mut linker = Linker::<()>::new(engine);
        linker
            .func_wrap(
                "env",
                "host_poke",
                |mut caller: Caller<'_, ()>, at: i32, v: i32| {
                    let mem = caller.get_export("mem").unwrap().into_memory().unwrap();
                    mem.data_mut(&mut caller)[at as usize] = v as u8;
                },
            )
            .unwrap();
        for writer in writers {
            let mut store = Store::new(engine, ());
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let peek = typed::<i32, i32>(&mut store, instance, "peek");
            assert_eq!(peek.call(&mut store, 5000).unwrap(), 0, "before {writer}");
            match writer {
                "api" => {
                    let mem = instance.get_memory(&mut store, "mem").unwrap();
                    mem.data_mut(&mut store)[5000] = 9;
                }
                "importer" => {
                    let mut linker = Linker::new(engine);
                    linker.instance(&mut store, "w", instance).unwrap();
                    let other = linker.instantiate(&mut store, &importer).unwrap();
                    let poke = typed::<(i32, i32), ()>(&mut store, other, "store");
                    poke.call(&mut store, (5000, 9)).unwrap();
                }
                name => {
                    let poke = typed::<(i32, i32), ()>(&mut store, instance, name);
                    poke.call(&mut store, (5000, 9)).unwrap();
                }
            }
            assert_ne!(peek.call(&mut store, 5000).unwrap(), 0, "{writer} wrote");
            drop(store);
            // The next instance gets the same slot (the pool has one) or
            // reservation (the most recently freed).
            let mut store = Store::new(engine, ());
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let peek = typed::<i32, i32>(&mut store, instance, "peek");
            for at in 5000..5040 {
                assert_eq!(
                    peek.call(&mut store, at).unwrap(),
                    0,
                    "after {writer}, {at}"
                );
            }
            assert_eq!(peek.call(&mut store, 100).unwrap(), i32::from(b'h'));
        }
    }
}

/// Instantiation that copies data segments (no image applies) writes the
/// memory: a module without data that gets the slot next must not see it.
#[test]
fn copied_data_segments_mark_the_memory_for_reset() {
    let engine = pooling(|p| {
        p.total_memories(1);
    });
    let copied = Module::new(&engine, NO_IMAGE).unwrap();
    let empty = Module::new(
        &engine,
        r#"(module (memory 2)
             (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))"#,
    )
    .unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let instance = instantiate_module(&engine, &copied, &mut store).unwrap();
        let peek = typed::<i32, i32>(&mut store, instance, "peek");
        assert_eq!(peek.call(&mut store, 100).unwrap(), i32::from(b'h'));
        drop(store);
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &empty, &[]).unwrap();
        let peek = typed::<i32, i32>(&mut store, instance, "peek");
        assert_eq!(peek.call(&mut store, 100).unwrap(), 0);
        assert_eq!(peek.call(&mut store, 70000).unwrap(), 0);
    }
}
