use kiln_runtime::*;
fn main() -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
        (type $ii (func (param i32) (result i32)))
        (import "env" "h" (func $h (param i32) (result i32)))
        (table $t 4 funcref)
        (elem (table $t) (i32.const 0) func $double $h $inc)
        (memory 1)
        (data (i32.const 16) "hello")
        (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func (export "call") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
        (func (export "size") (result i32) (table.size $t))
        (func (export "fill_copy") (result i32)
          (memory.fill (i32.const 100) (i32.const 7) (i32.const 10))
          (memory.copy (i32.const 200) (i32.const 16) (i32.const 5))
          (i32.add (i32.load8_u (i32.const 105)) (i32.load8_u (i32.const 201))))
        (func (export "get") (param i32) (result funcref) (table.get $t (local.get 0)))
        (func (export "isnull") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
      )"#,
    )?;
    let mut store = Store::new(&engine, ());
    let h = Func::wrap(&mut store, |x: i32| x * 100);
    let inst = Instance::new(&mut store, &module, &[h.into()])?;
    let call = inst.get_typed_func::<(i32, i32), i32>(&mut store, "call")?;
    for i in 0..5 {
        match call.call(&mut store, (i, 5)) {
            Ok(v) => println!("call {i} -> {v}"),
            Err(e) => println!("call {i}: {}", e.to_string().lines().next().unwrap()),
        }
    }
    println!(
        "size {}",
        inst.get_typed_func::<(), i32>(&mut store, "size")?
            .call(&mut store, ())?
    );
    println!(
        "fill_copy {}",
        inst.get_typed_func::<(), i32>(&mut store, "fill_copy")?
            .call(&mut store, ())?
    );
    let mut r = [Val::I32(0)];
    inst.get_func(&mut store, "get")
        .unwrap()
        .call(&mut store, &[Val::I32(1)], &mut r)?;
    let f = r[0].funcref().unwrap().unwrap();
    let mut r2 = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(3)], &mut r2)?;
    println!("table[1] is host? {:?} -> {:?}", f.same(&h), r2);
    let t = inst.get_table(&mut store, "t");
    println!("table export: {t:?}");
    Ok(())
}
