//! Inlining (`Config::inlining`, on by default) must be invisible: every
//! call of a module compiled with it gives the same results, the same
//! traps with the same backtraces (frame by frame: function, module
//! offset, function offset) and consumes the same fuel as with it off,
//! also once the module went through `serialize` / `deserialize`.

use kiln_runtime::*;

/// Small callees of every shape the translator handles: parameters and
/// locals, multiple results, an early `return`, loops and `br_table`,
/// traps, calls onward (which stay calls inside an inlined body), calls
/// through a table, self-recursion, and a callee that never returns.
const MODULE: &str = r#"(module $inl
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $boom)
  (type $ii (func (param i32) (result i32)))
  (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)
  (func $boom (param i32) (result i32) unreachable)
  (func $pair (param i32) (result i32 i64)
    local.get 0 i32.const 1 i32.add local.get 0 i64.extend_i32_s)
  (func $early (param i32) (result i32) (local i32)
    local.get 0 if i32.const 7 return end
    i32.const 9 local.set 1 local.get 1)
  (func $sum (param i32) (result i32) (local i32)
    block loop
      local.get 0 i32.eqz br_if 1
      local.get 1 local.get 0 i32.add local.set 1
      local.get 0 i32.const 1 i32.sub local.set 0 br 0
    end end local.get 1)
  (func $pick (param i32) (result i32)
    block block block local.get 0 br_table 0 1 2 end
    i32.const 10 return end i32.const 20 return end i32.const 30)
  (func $div (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $load (param i32) (result i32) local.get 0 i32.load)
  (func $mid (param i32 i32) (result i32) local.get 0 local.get 1 call $div)
  (func $ind (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $ii))
  (func $fib (param i32) (result i64) (local i64)
    block
      local.get 0 i32.const 2 i32.lt_u br_if 0
      loop
        local.get 0 i32.const -1 i32.add call $fib
        local.get 1 i64.add local.set 1
        local.get 0 i32.const -2 i32.add local.tee 0
        i32.const 1 i32.gt_u br_if 0
      end
    end
    local.get 1 local.get 0 i64.extend_i32_u i64.add)
  (func $never (param i32) (result i32) local.get 0 if unreachable end loop br 0 end unreachable)
  (func $rec (param i32) (result i32) local.get 0 call $rec)

  (func (export "sq") (param i32) (result i32) i32.const 1 local.get 0 call $sq i32.add)
  (func (export "pair") (param i32) (result i64) (local i64)
    local.get 0 call $pair local.set 1
    i64.extend_i32_s i64.const 16 i64.shl local.get 1 i64.add)
  (func (export "early") (param i32) (result i32) local.get 0 call $early i32.const 100 i32.add)
  (func (export "sum") (param i32) (result i32) local.get 0 call $sum local.get 0 call $sum i32.add)
  (func (export "pick") (param i32) (result i32) local.get 0 call $pick)
  (func (export "div") (param i32 i32) (result i32)
    i32.const 1 local.get 0 local.get 1 call $div i32.add)
  (func (export "mid") (param i32 i32) (result i32)
    i32.const 2 local.get 0 local.get 1 call $mid i32.add)
  (func (export "load") (param i32) (result i32) local.get 0 call $load)
  (func (export "ind") (param i32 i32) (result i32) local.get 0 local.get 1 call $ind)
  (func (export "fib") (param i32) (result i64) local.get 0 call $fib)
  (func (export "never") (param i32) (result i32) local.get 0 call $never i32.const 1 i32.add)
  (func (export "rec") (param i32) (result i32) local.get 0 call $rec)
)"#;

/// Each export with the argument lists it is called with.
const CALLS: &[(&str, &[&[i32]])] = &[
    ("sq", &[&[0], &[3], &[-5]]),
    ("pair", &[&[0], &[41], &[-2]]),
    ("early", &[&[0], &[1]]),
    ("sum", &[&[0], &[10]]),
    ("pick", &[&[0], &[1], &[2], &[99]]),
    ("div", &[&[7, 2], &[7, 0], &[i32::MIN, -1]]),
    ("mid", &[&[9, 3], &[9, 0]]),
    ("load", &[&[0], &[65533], &[65536]]),
    ("ind", &[&[0, 6], &[1, 6], &[2, 6]]),
    ("fib", &[&[0], &[1], &[20]]),
    ("never", &[&[1]]),
    ("rec", &[&[0]]),
];

/// What a call gave: its results, or its trap with every frame.
#[derive(Debug, PartialEq)]
enum Outcome {
    Results(Vec<u64>),
    Trap(TrapCode, Vec<(u32, Option<usize>, Option<usize>)>),
}

fn outcome(result: anyhow::Result<()>, results: &[Val]) -> Outcome {
    match result {
        Ok(()) => Outcome::Results(
            results
                .iter()
                .map(|v| match v {
                    Val::I32(x) => *x as u32 as u64,
                    Val::I64(x) => *x as u64,
                    other => panic!("unexpected result {other:?}"),
                })
                .collect(),
        ),
        Err(e) => {
            let trap = e
                .downcast_ref::<Trap>()
                .unwrap_or_else(|| panic!("not a trap: {e:#}"));
            let frames = trap
                .frames()
                .iter()
                .map(|f| (f.func_index(), f.module_offset(), f.func_offset()))
                .collect();
            Outcome::Trap(trap.code(), frames)
        }
    }
}

/// Every call in `CALLS` on `module`, with fuel metering if the engine
/// has it on: the outcomes, and the fuel each call consumed.
fn run_all(engine: &Engine, module: &Module) -> Vec<(Outcome, u64)> {
    let mut out = Vec::new();
    for (name, arg_lists) in CALLS {
        for args in *arg_lists {
            let mut store = Store::new(engine, ());
            let fuel = engine.config().get_consume_fuel();
            if fuel {
                store.set_fuel(1_000_000).unwrap();
            }
            let instance = Instance::new(&mut store, module, &[]).unwrap();
            let func = instance.get_func(&mut store, name).unwrap();
            let params: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
            let mut results = vec![Val::I32(0); func.ty(&store).results().len()];
            let result = func.call(&mut store, &params, &mut results);
            let used = if fuel {
                1_000_000 - store.get_fuel().unwrap()
            } else {
                0
            };
            out.push((outcome(result, &results), used));
        }
    }
    out
}

fn engine(inlining: bool, fuel: bool) -> Engine {
    let mut config = Config::new();
    config.inlining(inlining).consume_fuel(fuel);
    Engine::new(&config).unwrap()
}

#[test]
fn inlined_calls_give_the_same_results_traps_backtraces_and_fuel() {
    for fuel in [false, true] {
        let plain = engine(false, fuel);
        let inlined = engine(true, fuel);
        let expected = run_all(&plain, &Module::new(&plain, MODULE).unwrap());
        let module = Module::new(&inlined, MODULE).unwrap();
        let got = run_all(&inlined, &module);
        // A stack overflow's backtrace depends on frame sizes, which
        // inlining changes: compare the code and the innermost frames.
        for (i, ((e, e_fuel), (g, g_fuel))) in expected.iter().zip(&got).enumerate() {
            match (e, g) {
                (
                    Outcome::Trap(TrapCode::StackOverflow, ef),
                    Outcome::Trap(TrapCode::StackOverflow, gf),
                ) => {
                    assert_eq!(ef[..2], gf[..2], "call {i}");
                    assert!(
                        gf.iter()
                            .all(|f| f.0 == ef[0].0 || f.0 == ef.last().unwrap().0)
                    );
                }
                _ => {
                    assert_eq!(e, g, "call {i}");
                    assert_eq!(e_fuel, g_fuel, "fuel of call {i}");
                }
            }
        }
        // And after a round trip through serialization.
        let bytes = module.serialize().unwrap();
        // SAFETY: the bytes were just serialized by this engine.
        let loaded = unsafe { Module::deserialize(&inlined, &bytes) }.unwrap();
        let again = run_all(&inlined, &loaded);
        assert_eq!(
            again.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>(),
            got.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_trap_inside_inlined_code_names_every_frame() {
    let engine = engine(true, false);
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let mid = instance.get_func(&mut store, "mid").unwrap();
    let err = mid
        .call(&mut store, &[Val::I32(1), Val::I32(0)], &mut [Val::I32(0)])
        .unwrap_err();
    let trap = err.downcast_ref::<Trap>().unwrap();
    assert_eq!(trap.code(), TrapCode::IntegerDivisionByZero);
    let names: Vec<_> = trap.frames().iter().map(|f| f.func_name()).collect();
    // `mid` is inlined into the export, `div` is called from the inlined
    // body (inlining is one level deep) and itself inlined nowhere here.
    assert_eq!(names, [Some("div"), Some("mid"), None], "{trap}");
    assert!(trap.frames().iter().all(|f| f.func_offset().is_some()));
}
