//! Embedding Kiln: a host function defined once on a `Linker`, a module
//! pre-instantiated once, then instantiated into fresh stores (one per
//! request, as a serverless host would), with a trap handled as a value.
//!
//! `cargo run -p kiln-runtime --example embed`

use kiln_runtime::{Caller, Engine, Linker, Module, Result, Store, Trap};

const WAT: &str = r#"(module
  (import "host" "log" (func $log (param i32)))
  (func (export "handle") (param i32) (result i32)
    (call $log (local.get 0))
    (i32.div_u (i32.const 1000) (local.get 0))))"#;

fn main() -> Result<()> {
    let engine = Engine::default();
    let mut linker: Linker<Vec<i32>> = Linker::new(&engine);
    linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<i32>>, x: i32| {
        caller.data_mut().push(x);
    })?;
    let module = Module::new(&engine, WAT)?;
    let pre = linker.instantiate_pre(&module)?;

    for request in [10, 0, 7] {
        let mut store = Store::new(&engine, Vec::new());
        let instance = pre.instantiate(&mut store)?;
        let handle = instance.get_typed_func::<i32, i32>(&mut store, "handle")?;
        match handle.call(&mut store, request) {
            Ok(v) => println!("request {request}: {v} (logged {:?})", store.data()),
            Err(e) => match e.downcast_ref::<Trap>() {
                Some(trap) => println!("request {request}: trapped: {}", trap.message()),
                None => return Err(e),
            },
        }
    }
    Ok(())
}
