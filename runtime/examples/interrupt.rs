use kiln_runtime::*;
fn main() -> Result<()> {
    let mut config = Config::new();
    config.consume_fuel(true).epoch_interruption(true);
    let engine = Engine::new(&config)?;
    let module = Module::new(
        &engine,
        r#"(module
        (func (export "spin") (loop (br 0)))
        (func (export "count") (param i32) (result i32)
          (local i32)
          (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
          (local.get 1)))"#,
    )?;
    let mut store = Store::new(&engine, ());
    store.set_fuel(1_000_000)?;
    let inst = Instance::new(&mut store, &module, &[])?;
    let spin = inst.get_typed_func::<(), ()>(&mut store, "spin")?;
    println!("fuel spin: {}", spin.call(&mut store, ()).unwrap_err());
    println!("fuel left {}", store.get_fuel()?);
    store.set_fuel(1_000_000)?;
    let count = inst.get_typed_func::<i32, i32>(&mut store, "count")?;
    println!(
        "count(1000) = {}, fuel used {}",
        count.call(&mut store, 1000)?,
        1_000_000 - store.get_fuel()?
    );
    store.set_fuel(u64::MAX)?;
    store.set_epoch_deadline(1);
    let e2 = engine.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        e2.increment_epoch();
    });
    let start = std::time::Instant::now();
    println!(
        "epoch spin: {} after {:?}",
        spin.call(&mut store, ())
            .unwrap_err()
            .to_string()
            .lines()
            .next()
            .unwrap(),
        start.elapsed()
    );
    t.join().unwrap();
    Ok(())
}
