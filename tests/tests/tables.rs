//! Lazily initialized `funcref` tables: elements from constant active
//! segments are materialized on first access, and every way of reaching
//! an element (call_indirect, table.get/set/copy/fill/grow, the host API,
//! another instance importing the table) sees what eager initialization
//! would have given, with each instance's own functions.

use kiln_runtime::*;
use kiln_tests::{instantiate, trap_code, typed};

/// Table `$t` (10 elements) gets `$one $two` at 2 and `$three` at 5 from
/// constant segments (lazy); `$u` is filled by no segment; the functions
/// return their number plus global `$g`.
const MODULE: &str = r#"(module
  (global $g (export "g") (mut i32) (i32.const 0))
  (table $t (export "t") 10 funcref)
  (table $u 4 funcref)
  (type $r (func (result i32)))
  (func $one (export "one") (result i32) (i32.add (global.get $g) (i32.const 1)))
  (func $two (result i32) (i32.add (global.get $g) (i32.const 2)))
  (func $three (result i32) (i32.add (global.get $g) (i32.const 3)))
  (elem (table $t) (i32.const 2) func $one $two)
  (elem (table $t) (i32.const 5) func $three)
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0)))
  (func (export "call_u") (param i32) (result i32) (call_indirect $u (type $r) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "clear") (param i32) (table.set $t (local.get 0) (ref.null func)))
  (func (export "set_three") (param i32) (table.set $t (local.get 0) (ref.func $three)))
  (func (export "copy_to_u") (param i32 i32 i32) (table.copy $u $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_within") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $two) (local.get 0)))
  (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $one) (local.get 1))))"#;

fn call(store: &mut Store<()>, instance: Instance, name: &str, i: i32) -> Result<i32> {
    typed::<i32, i32>(&mut *store, instance, name).call(&mut *store, i)
}

#[test]
fn call_indirect_materializes_segment_elements() {
    let (mut store, instance) = instantiate(MODULE);
    for (i, expected) in [(2, 1), (3, 2), (5, 3), (2, 1)] {
        assert_eq!(call(&mut store, instance, "call", i).unwrap(), expected);
    }
    for i in [0, 1, 4, 6, 9] {
        let err = call(&mut store, instance, "call", i).unwrap_err();
        assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement), "{i}");
    }
    let err = call(&mut store, instance, "call", 10).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UndefinedElement));
    let err = call(&mut store, instance, "call_u", 0).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement));
}

#[test]
fn table_get_set_and_null_stick() {
    let (mut store, instance) = instantiate(MODULE);
    let is_null = |store: &mut Store<()>, i| call(store, instance, "is_null", i).unwrap();
    assert_eq!(is_null(&mut store, 3), 0);
    assert_eq!(is_null(&mut store, 4), 1);
    // Clearing a lazily initialized element, before or after its first
    // access, leaves it null: the image is not consulted again.
    typed::<i32, ()>(&mut store, instance, "clear")
        .call(&mut store, 2)
        .unwrap();
    typed::<i32, ()>(&mut store, instance, "clear")
        .call(&mut store, 5)
        .unwrap();
    assert_eq!(is_null(&mut store, 2), 1);
    let err = call(&mut store, instance, "call", 5).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement));
    typed::<i32, ()>(&mut store, instance, "set_three")
        .call(&mut store, 0)
        .unwrap();
    assert_eq!(call(&mut store, instance, "call", 0).unwrap(), 3);
    assert_eq!(call(&mut store, instance, "call", 3).unwrap(), 2);
}

#[test]
fn copy_fill_and_grow_see_lazy_elements() {
    let (mut store, instance) = instantiate(MODULE);
    // Nothing of `$t` was touched: the copy itself must materialize.
    typed::<(i32, i32, i32), ()>(&mut store, instance, "copy_to_u")
        .call(&mut store, (0, 2, 4))
        .unwrap();
    assert_eq!(call(&mut store, instance, "call_u", 0).unwrap(), 1);
    assert_eq!(call(&mut store, instance, "call_u", 1).unwrap(), 2);
    assert_eq!(call(&mut store, instance, "call_u", 3).unwrap(), 3);
    let err = call(&mut store, instance, "call_u", 2).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement));

    // An overlapping copy within the table.
    typed::<(i32, i32, i32), ()>(&mut store, instance, "copy_within")
        .call(&mut store, (6, 2, 4))
        .unwrap();
    assert_eq!(call(&mut store, instance, "call", 6).unwrap(), 1);
    assert_eq!(call(&mut store, instance, "call", 7).unwrap(), 2);
    assert_eq!(call(&mut store, instance, "call", 9).unwrap(), 3);

    assert_eq!(call(&mut store, instance, "grow", 2).unwrap(), 10);
    assert_eq!(call(&mut store, instance, "call", 11).unwrap(), 2);
    typed::<(i32, i32), ()>(&mut store, instance, "fill")
        .call(&mut store, (0, 2))
        .unwrap();
    assert_eq!(call(&mut store, instance, "call", 1).unwrap(), 1);
}

#[test]
fn host_reads_lazy_elements() {
    let (mut store, instance) = instantiate(MODULE);
    let table = instance.get_table(&mut store, "t").unwrap();
    assert_eq!(table.size(&store), 10);
    let Some(Val::FuncRef(Some(f))) = table.get(&mut store, 2) else {
        panic!("element 2 is a function");
    };
    let one = instance.get_func(&mut store, "one").unwrap();
    assert!(f.same(&one));
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[], &mut out).unwrap();
    assert_eq!(out[0].i32().unwrap(), 1);
    assert!(matches!(table.get(&mut store, 4), Some(Val::FuncRef(None))));
    assert!(table.get(&mut store, 10).is_none());
    table.set(&mut store, 4, Val::FuncRef(Some(one))).unwrap();
    assert_eq!(call(&mut store, instance, "call", 4).unwrap(), 1);
}

#[test]
fn each_instance_gets_its_own_functions() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let a = Instance::new(&mut store, &module, &[]).unwrap();
    let b = Instance::new(&mut store, &module, &[]).unwrap();
    let g = b.get_global(&mut store, "g").unwrap();
    g.set(&mut store, Val::I32(100)).unwrap();
    assert_eq!(call(&mut store, a, "call", 5).unwrap(), 3);
    assert_eq!(call(&mut store, b, "call", 5).unwrap(), 103);
    assert_eq!(call(&mut store, a, "call", 2).unwrap(), 1);
}

#[test]
fn importers_materialize_with_the_defining_instance() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let defining = linker
        .instantiate(&mut store, &Module::new(&engine, MODULE).unwrap())
        .unwrap();
    let g = defining.get_global(&mut store, "g").unwrap();
    g.set(&mut store, Val::I32(40)).unwrap();
    linker.instance(&mut store, "lib", defining).unwrap();
    let importer = Module::new(
        &engine,
        r#"(module
          (import "lib" "t" (table 10 funcref))
          (type $r (func (result i32)))
          (func (export "call") (param i32) (result i32)
            (call_indirect (type $r) (local.get 0))))"#,
    )
    .unwrap();
    let importer = linker.instantiate(&mut store, &importer).unwrap();
    assert_eq!(call(&mut store, importer, "call", 3).unwrap(), 42);
    assert_eq!(call(&mut store, importer, "call", 5).unwrap(), 43);
}

#[test]
fn computed_offsets_fall_back_to_eager_initialization() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let at = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(7),
    )
    .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "env" "at" (global i32))
          (table 8 funcref)
          (type $r (func (result i32)))
          (func $f (result i32) (i32.const 9))
          (elem (i32.const 1) $f)
          (elem (global.get 0) $f)
          (func (export "call") (param i32) (result i32)
            (call_indirect (type $r) (local.get 0))))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[at.into()]).unwrap();
    assert_eq!(call(&mut store, instance, "call", 1).unwrap(), 9);
    assert_eq!(call(&mut store, instance, "call", 7).unwrap(), 9);
    let err = call(&mut store, instance, "call", 0).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement));

    // Out of bounds at run time: instantiation traps.
    let at = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(8),
    )
    .unwrap();
    let err = Instance::new(&mut store, &module, &[at.into()]).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::TableOutOfBounds));
}

#[test]
fn large_tables_keep_their_elements_when_they_grow() {
    // 10,000 elements: a mapping of its own on the on-demand allocator,
    // moved when it grows.
    let (mut store, instance) = instantiate(
        r#"(module
          (table $t 10000 funcref)
          (type $r (func (result i32)))
          (func $a (result i32) (i32.const 11))
          (func $b (result i32) (i32.const 22))
          (elem (table $t) (i32.const 9000) func $a)
          (elem declare func $b)
          (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0)))
          (func (export "set_b") (param i32) (table.set $t (local.get 0) (ref.func $b)))
          (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $b) (local.get 0))))"#,
    );
    typed::<i32, ()>(&mut store, instance, "set_b")
        .call(&mut store, 5000)
        .unwrap();
    assert_eq!(call(&mut store, instance, "grow", 10).unwrap(), 10000);
    assert_eq!(call(&mut store, instance, "call", 5000).unwrap(), 22);
    assert_eq!(call(&mut store, instance, "call", 9000).unwrap(), 11);
    assert_eq!(call(&mut store, instance, "call", 10009).unwrap(), 22);
    let err = call(&mut store, instance, "call", 9999).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::UninitializedElement));
}
