//! Inputs shared by Kiln's criterion benchmarks (`benches/*.rs`): the
//! modules they compile and call, built once so every benchmark measures
//! the same code.
//!
//! Run them with `cargo bench -p kiln-benches`; groups follow the
//! scenarios in STYLE.md (`compile`, `call`, `execute`).

/// Recursive Fibonacci over `i64`, exported as `fib`, plus an exported
/// no-op `nop` for measuring call overhead.
pub const FIB_WAT: &str = r#"(module
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
  (func (export "nop")))"#;

/// A mid-size module in the text format: `functions` functions, each with
/// a loop, a branch table, integer arithmetic over locals and a global,
/// and a call to its predecessor, so the compiler sees a realistic mix
/// of control flow and arithmetic.
pub fn generated_module_wat(functions: usize) -> String {
    let mut wat = String::from("(module\n  (global $g (mut i32) (i32.const 1))\n");
    for i in 0..functions {
        let call_prev = if i == 0 {
            "(local.get 0)".to_string()
        } else {
            format!("(call $f{} (local.get 0) (local.get 1))", i - 1)
        };
        wat.push_str(&format!(
            r#"  (func $f{i} (export "f{i}") (param i32 i64) (result i32)
    (local $acc i32) (local $j i32)
    (local.set $acc (i32.const {i}))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (i32.and (local.get 0) (i32.const 15))))
        (local.set $acc
          (i32.xor (i32.mul (local.get $acc) (i32.const 31))
                   (i32.rotl (local.get $j) (i32.wrap_i64 (local.get 1)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (block $c (block $b (block $a
      (br_table $a $b $c (i32.rem_u (local.get $acc) (i32.const 3))))
      (local.set $acc (i32.add (local.get $acc) (global.get $g))) (br $c))
      (local.set $acc (i32.sub (local.get $acc) {call_prev})))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.add (local.get $acc) (i32.wrap_i64 (i64.shr_u (local.get 1) (i64.const 7)))))
"#
        ));
    }
    wat.push(')');
    wat
}

/// [`generated_module_wat`] in the binary format.
///
/// # Panics
///
/// Never for the text this crate generates; a panic means the generator
/// is broken.
pub fn generated_module(functions: usize) -> Vec<u8> {
    wat::parse_str(generated_module_wat(functions)).expect("generated module parses")
}

#[cfg(test)]
mod tests {
    use kiln_runtime::{Engine, Instance, Module, Store};

    #[test]
    fn generated_module_compiles_and_runs() {
        let engine = Engine::default();
        let module = Module::from_binary(&engine, &super::generated_module(20)).unwrap();
        assert_eq!(module.exports().len(), 20);
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        // f0(0, 0) skips the loop, takes the first branch-table arm and
        // returns the global, which it then increments.
        let f0 = instance
            .get_typed_func::<(i32, i64), i32>(&mut store, "f0")
            .unwrap();
        assert_eq!(f0.call(&mut store, (0, 0)).unwrap(), 1);
        assert_eq!(f0.call(&mut store, (0, 0)).unwrap(), 2);
        let f19 = instance
            .get_typed_func::<(i32, i64), i32>(&mut store, "f19")
            .unwrap();
        f19.call(&mut store, (15, -1)).unwrap();
    }

    #[test]
    fn fib_module_computes_fib() {
        let engine = Engine::default();
        let module = Module::new(&engine, super::FIB_WAT).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let fib = instance
            .get_typed_func::<i64, i64>(&mut store, "fib")
            .unwrap();
        assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
        let nop = instance
            .get_typed_func::<(), ()>(&mut store, "nop")
            .unwrap();
        nop.call(&mut store, ()).unwrap();
    }
}
