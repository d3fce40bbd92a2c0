use kiln_runtime::*;
fn main() -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"
      (module
        (import "env" "hostadd" (func $h (param i32 i32) (result i32)))
        (memory 1)
        (global $g (mut i32) (i32.const 5))
        (func $fib (export "fib") (param i64) (result i64)
          (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
            (then (local.get 0))
            (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                           (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
        (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "h") (param i32) (result i32) (call $h (local.get 0) (global.get $g)))
        (func (export "mem") (param i32) (result i32) (i32.store (local.get 0) (i32.const 42)) (i32.load (local.get 0)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func $rec (export "rec") (result i32) (call $rec))
        (func (export "multi") (param i32) (result i32 i32) (local.get 0) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "f") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
      )"#,
    )?;
    let mut store = Store::new(&engine, 7u32);
    let h = Func::wrap(
        &mut store,
        |caller: Caller<'_, u32>, a: i32, b: i32| -> i32 { a + b + *caller.data() as i32 },
    );
    let inst = Instance::new(&mut store, &module, &[h.into()])?;
    let fib = inst.get_typed_func::<i64, i64>(&mut store, "fib")?;
    println!("fib(20) = {}", fib.call(&mut store, 20)?);
    let div = inst.get_typed_func::<(i32, i32), i32>(&mut store, "div")?;
    println!("div 7/2 = {}", div.call(&mut store, (7, 2))?);
    match div.call(&mut store, (1, 0)) {
        Err(e) => println!("trap: {e}"),
        Ok(v) => println!("?? {v}"),
    }
    match div.call(&mut store, (i32::MIN, -1)) {
        Err(e) => println!("trap: {e}"),
        Ok(v) => println!("?? {v}"),
    }
    println!(
        "h(1) = {}",
        inst.get_typed_func::<i32, i32>(&mut store, "h")?
            .call(&mut store, 1)?
    );
    let mem = inst.get_typed_func::<i32, i32>(&mut store, "mem")?;
    println!("mem(100) = {}", mem.call(&mut store, 100)?);
    match mem.call(&mut store, 65535) {
        Err(e) => println!("trap: {e}"),
        Ok(v) => println!("?? {v}"),
    }
    let grow = inst.get_typed_func::<i32, i32>(&mut store, "grow")?;
    println!(
        "grow(2) = {}, grow(70000) = {}",
        grow.call(&mut store, 2)?,
        grow.call(&mut store, 70000)?
    );
    println!("mem(65535) after grow = {}", mem.call(&mut store, 65535)?);
    match inst
        .get_typed_func::<(), i32>(&mut store, "rec")?
        .call(&mut store, ())
    {
        Err(e) => println!("trap: {}", e.to_string().lines().next().unwrap()),
        Ok(v) => println!("?? {v}"),
    }
    println!(
        "multi = {:?}",
        inst.get_typed_func::<i32, (i32, i32)>(&mut store, "multi")?
            .call(&mut store, 21)?
    );
    let mut r = [Val::I32(0); 2];
    inst.get_func(&mut store, "multi")
        .unwrap()
        .call(&mut store, &[Val::I32(4)], &mut r)?;
    println!("dyn multi = {:?}", r);
    println!(
        "bad call: {:?}",
        inst.get_func(&mut store, "multi")
            .unwrap()
            .call(&mut store, &[Val::I64(4)], &mut r)
            .unwrap_err()
    );
    println!(
        "fmin = {}",
        inst.get_typed_func::<(f64, f64), f64>(&mut store, "f")?
            .call(&mut store, (-0.0, 0.0))?
    );
    Ok(())
}
