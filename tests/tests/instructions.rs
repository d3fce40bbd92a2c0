//! Every instruction of the integer and control-flow subset, checked
//! against values computed in Rust over sets of interesting inputs; and
//! the host-facing call paths: host functions, dynamic and typed calls,
//! argument checking, and trap codes.
//!
//! Operations are compiled both with two variable operands and with a
//! constant right operand, since Cranelift lowers the two differently
//! (shift and rotate immediates, division by constants).

use kiln_runtime::{
    Caller, Engine, Extern, Func, FuncType, Global, GlobalType, Instance, Module, Mutability,
    Store, Trap, TrapCode, TypedFunc, Val, ValType, WasmParams, WasmResults, WasmTy,
};
use kiln_tests::{I32_INPUTS, I64_INPUTS, instantiate, trap_code, typed};
use std::fmt::Debug;

type Outcome<T> = Result<T, TrapCode>;

/// Calls `f` and compares the result, or the trap code, with `expected`.
fn check<P, R>(
    store: &mut Store<()>,
    f: &TypedFunc<P, R>,
    what: &str,
    args: P,
    expected: Outcome<R>,
) where
    P: WasmParams + Copy + Debug,
    R: WasmResults + PartialEq + Debug,
{
    let got = f
        .call(&mut *store, args)
        .map_err(|e| trap_code(&e).unwrap_or_else(|| panic!("{what}{args:?}: not a trap: {e:#}")));
    assert_eq!(got, expected, "{what}{args:?}");
}

/// Constants used as the right operand of the constant variants.
const I32_CONSTS: &[i32] = &[0, 1, -1, 2, 3, 7, 31, 32, 33, -100, i32::MIN, i32::MAX];
const I64_CONSTS: &[i64] = &[0, 1, -1, 2, 3, 7, 63, 64, 65, -100, i64::MIN, i64::MAX];

/// A binary operator's reference implementation: the result or the trap.
type BinOp<T> = fn(T, T) -> Outcome<T>;
/// A comparison's reference implementation.
type CmpOp<T> = fn(T, T) -> bool;
/// A unary operator's reference implementation.
type UnOp<T> = fn(T) -> T;

macro_rules! int_binops {
    ($t:ty, $u:ty, $bits:expr) => {
        vec![
            ("add", |a: $t, b: $t| Ok(a.wrapping_add(b))),
            ("sub", |a: $t, b: $t| Ok(a.wrapping_sub(b))),
            ("mul", |a: $t, b: $t| Ok(a.wrapping_mul(b))),
            ("div_s", |a: $t, b: $t| match (a, b) {
                (_, 0) => Err(TrapCode::IntegerDivisionByZero),
                (<$t>::MIN, -1) => Err(TrapCode::IntegerOverflow),
                _ => Ok(a / b),
            }),
            ("div_u", |a: $t, b: $t| match b {
                0 => Err(TrapCode::IntegerDivisionByZero),
                _ => Ok(((a as $u) / (b as $u)) as $t),
            }),
            ("rem_s", |a: $t, b: $t| match b {
                0 => Err(TrapCode::IntegerDivisionByZero),
                _ => Ok(a.wrapping_rem(b)),
            }),
            ("rem_u", |a: $t, b: $t| match b {
                0 => Err(TrapCode::IntegerDivisionByZero),
                _ => Ok(((a as $u) % (b as $u)) as $t),
            }),
            ("and", |a: $t, b: $t| Ok(a & b)),
            ("or", |a: $t, b: $t| Ok(a | b)),
            ("xor", |a: $t, b: $t| Ok(a ^ b)),
            ("shl", |a: $t, b: $t| Ok(a << (b as u32 % $bits))),
            ("shr_s", |a: $t, b: $t| Ok(a >> (b as u32 % $bits))),
            ("shr_u", |a: $t, b: $t| {
                Ok(((a as $u) >> (b as u32 % $bits)) as $t)
            }),
            ("rotl", |a: $t, b: $t| {
                Ok((a as $u).rotate_left(b as u32 % $bits) as $t)
            }),
            ("rotr", |a: $t, b: $t| {
                Ok((a as $u).rotate_right(b as u32 % $bits) as $t)
            }),
        ]
    };
}

macro_rules! int_cmpops {
    ($t:ty, $u:ty) => {{
        let ops: Vec<(&str, CmpOp<$t>)> = vec![
            ("eq", |a, b| a == b),
            ("ne", |a, b| a != b),
            ("lt_s", |a, b| a < b),
            ("lt_u", |a, b| (a as $u) < (b as $u)),
            ("gt_s", |a, b| a > b),
            ("gt_u", |a, b| (a as $u) > (b as $u)),
            ("le_s", |a, b| a <= b),
            ("le_u", |a, b| (a as $u) <= (b as $u)),
            ("ge_s", |a, b| a >= b),
            ("ge_u", |a, b| (a as $u) >= (b as $u)),
        ];
        ops
    }};
}

/// A module exporting `op` (both operands as parameters) and `op/k`
/// (right operand the constant `consts[k]`) for each operation.
fn binop_module<T: std::fmt::Display>(
    ty: &str,
    result: &str,
    ops: &[&str],
    consts: &[T],
) -> String {
    let mut wat = String::from("(module\n");
    for op in ops {
        wat.push_str(&format!(
            "(func (export \"{op}\") (param {ty} {ty}) (result {result}) \
             local.get 0 local.get 1 {ty}.{op})\n"
        ));
        for (k, c) in consts.iter().enumerate() {
            wat.push_str(&format!(
                "(func (export \"{op}/{k}\") (param {ty}) (result {result}) \
                 local.get 0 {ty}.const {c} {ty}.{op})\n"
            ));
        }
    }
    wat.push(')');
    wat
}

/// Checks each `(name, op)` of type `ty` (with results of type `result`)
/// against its reference `op`: on every pair of `inputs` as parameters,
/// and with each of `consts` as a constant right operand.
fn check_binary<T, R>(
    ty: &str,
    result: &str,
    ops: &[(&str, impl Fn(T, T) -> Outcome<R>)],
    inputs: &[T],
    consts: &[T],
) where
    T: WasmTy + Debug + std::fmt::Display,
    R: WasmTy + PartialEq + Debug,
{
    let names: Vec<&str> = ops.iter().map(|(n, _)| *n).collect();
    let (mut store, instance) = instantiate(&binop_module(ty, result, &names, consts));
    for (name, op) in ops {
        let f = typed::<(T, T), R>(&mut store, instance, name);
        for &a in inputs {
            for &b in inputs {
                check(&mut store, &f, &format!("{ty}.{name}"), (a, b), op(a, b));
            }
        }
        for (k, &c) in consts.iter().enumerate() {
            let f = typed::<T, R>(&mut store, instance, &format!("{name}/{k}"));
            for &a in inputs {
                check(
                    &mut store,
                    &f,
                    &format!("{ty}.{name} with {c}"),
                    a,
                    op(a, c),
                );
            }
        }
    }
}

/// Comparisons as binary operators with an `i32` result.
fn as_binops<T: 'static>(ops: Vec<(&str, CmpOp<T>)>) -> Vec<(&str, impl Fn(T, T) -> Outcome<i32>)> {
    ops.into_iter()
        .map(|(name, op)| (name, move |a, b| Ok(i32::from(op(a, b)))))
        .collect()
}

#[test]
fn i32_binary_operators() {
    let ops: Vec<(&str, BinOp<i32>)> = int_binops!(i32, u32, 32);
    check_binary("i32", "i32", &ops, I32_INPUTS, I32_CONSTS);
}

#[test]
fn i64_binary_operators() {
    let ops: Vec<(&str, BinOp<i64>)> = int_binops!(i64, u64, 64);
    check_binary("i64", "i64", &ops, I64_INPUTS, I64_CONSTS);
}

#[test]
fn i32_comparisons() {
    let ops = as_binops(int_cmpops!(i32, u32));
    check_binary("i32", "i32", &ops, I32_INPUTS, I32_CONSTS);
}

#[test]
fn i64_comparisons() {
    let ops = as_binops(int_cmpops!(i64, u64));
    check_binary("i64", "i32", &ops, I64_INPUTS, I64_CONSTS);
}

#[test]
fn unary_operators_and_conversions() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func (export "i32.clz") (param i32) (result i32) local.get 0 i32.clz)
          (func (export "i32.ctz") (param i32) (result i32) local.get 0 i32.ctz)
          (func (export "i32.popcnt") (param i32) (result i32) local.get 0 i32.popcnt)
          (func (export "i32.eqz") (param i32) (result i32) local.get 0 i32.eqz)
          (func (export "i32.extend8_s") (param i32) (result i32) local.get 0 i32.extend8_s)
          (func (export "i32.extend16_s") (param i32) (result i32) local.get 0 i32.extend16_s)
          (func (export "i64.clz") (param i64) (result i64) local.get 0 i64.clz)
          (func (export "i64.ctz") (param i64) (result i64) local.get 0 i64.ctz)
          (func (export "i64.popcnt") (param i64) (result i64) local.get 0 i64.popcnt)
          (func (export "i64.eqz") (param i64) (result i32) local.get 0 i64.eqz)
          (func (export "i64.extend8_s") (param i64) (result i64) local.get 0 i64.extend8_s)
          (func (export "i64.extend16_s") (param i64) (result i64) local.get 0 i64.extend16_s)
          (func (export "i64.extend32_s") (param i64) (result i64) local.get 0 i64.extend32_s)
          (func (export "i32.wrap_i64") (param i64) (result i32) local.get 0 i32.wrap_i64)
          (func (export "i64.extend_i32_s") (param i32) (result i64) local.get 0 i64.extend_i32_s)
          (func (export "i64.extend_i32_u") (param i32) (result i64) local.get 0 i64.extend_i32_u)
          ;; eqz feeding a branch, which Cranelift may fuse.
          (func (export "eqz_branch") (param i64) (result i32)
            (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 10)) (else (i32.const 20)))))"#,
    );

    let i32_ops: [(&str, UnOp<i32>); 6] = [
        ("i32.clz", |a| a.leading_zeros() as i32),
        ("i32.ctz", |a| a.trailing_zeros() as i32),
        ("i32.popcnt", |a| a.count_ones() as i32),
        ("i32.eqz", |a| i32::from(a == 0)),
        ("i32.extend8_s", |a| i32::from(a as i8)),
        ("i32.extend16_s", |a| i32::from(a as i16)),
    ];
    for (name, op) in i32_ops {
        let f = typed::<i32, i32>(&mut store, instance, name);
        for &a in I32_INPUTS {
            check(&mut store, &f, name, a, Ok(op(a)));
        }
    }

    let i64_ops: [(&str, UnOp<i64>); 6] = [
        ("i64.clz", |a| i64::from(a.leading_zeros())),
        ("i64.ctz", |a| i64::from(a.trailing_zeros())),
        ("i64.popcnt", |a| i64::from(a.count_ones())),
        ("i64.extend8_s", |a| i64::from(a as i8)),
        ("i64.extend16_s", |a| i64::from(a as i16)),
        ("i64.extend32_s", |a| i64::from(a as i32)),
    ];
    for (name, op) in i64_ops {
        let f = typed::<i64, i64>(&mut store, instance, name);
        for &a in I64_INPUTS {
            check(&mut store, &f, name, a, Ok(op(a)));
        }
    }

    let eqz = typed::<i64, i32>(&mut store, instance, "i64.eqz");
    let wrap = typed::<i64, i32>(&mut store, instance, "i32.wrap_i64");
    let branch = typed::<i64, i32>(&mut store, instance, "eqz_branch");
    for &a in I64_INPUTS {
        check(&mut store, &eqz, "i64.eqz", a, Ok(i32::from(a == 0)));
        check(&mut store, &wrap, "i32.wrap_i64", a, Ok(a as i32));
        check(
            &mut store,
            &branch,
            "eqz_branch",
            a,
            Ok(if a == 0 { 10 } else { 20 }),
        );
    }

    let ext_s = typed::<i32, i64>(&mut store, instance, "i64.extend_i32_s");
    let ext_u = typed::<i32, i64>(&mut store, instance, "i64.extend_i32_u");
    for &a in I32_INPUTS {
        check(&mut store, &ext_s, "i64.extend_i32_s", a, Ok(i64::from(a)));
        check(
            &mut store,
            &ext_u,
            "i64.extend_i32_u",
            a,
            Ok(i64::from(a as u32)),
        );
    }
}

#[test]
fn locals() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func (export "zeroes") (result i32 i64 i32)
            (local i32 i64) (local $x i32)
            local.get 0 local.get 1 local.get $x)
          (func (export "tee") (param i32) (result i32) (local i32)
            local.get 0 local.tee 1 local.get 1 i32.mul)
          (func (export "swap") (param i32 i64) (result i64 i32) (local $t i32)
            local.get 0 local.set $t
            local.get 1 local.get $t)
          (func (export "params_are_locals") (param i32) (result i32)
            local.get 0 i32.const 5 i32.add local.set 0 local.get 0)
          ;; More locals than registers: sum 1..=12 written and read back.
          (func (export "many") (result i64)
            (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (local.set 0 (i64.const 1)) (local.set 1 (i64.const 2))
            (local.set 2 (i64.const 3)) (local.set 3 (i64.const 4))
            (local.set 4 (i64.const 5)) (local.set 5 (i64.const 6))
            (local.set 6 (i64.const 7)) (local.set 7 (i64.const 8))
            (local.set 8 (i64.const 9)) (local.set 9 (i64.const 10))
            (local.set 10 (i64.const 11)) (local.set 11 (i64.const 12))
            (i64.add (i64.add (i64.add (local.get 0) (local.get 1)) (i64.add (local.get 2) (local.get 3)))
              (i64.add (i64.add (i64.add (local.get 4) (local.get 5)) (i64.add (local.get 6) (local.get 7)))
                (i64.add (i64.add (local.get 8) (local.get 9)) (i64.add (local.get 10) (local.get 11)))))))"#,
    );
    let zeroes = typed::<(), (i32, i64, i32)>(&mut store, instance, "zeroes");
    check(&mut store, &zeroes, "zeroes", (), Ok((0, 0, 0)));
    let tee = typed::<i32, i32>(&mut store, instance, "tee");
    let swap = typed::<(i32, i64), (i64, i32)>(&mut store, instance, "swap");
    let params = typed::<i32, i32>(&mut store, instance, "params_are_locals");
    for (&a, &b) in I32_INPUTS.iter().zip(I64_INPUTS) {
        check(&mut store, &tee, "tee", a, Ok(a.wrapping_mul(a)));
        check(&mut store, &swap, "swap", (a, b), Ok((b, a)));
        check(
            &mut store,
            &params,
            "params_are_locals",
            a,
            Ok(a.wrapping_add(5)),
        );
    }
    let many = typed::<(), i64>(&mut store, instance, "many");
    check(&mut store, &many, "many", (), Ok(78));
}

#[test]
fn globals() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let imported = Global::new(
        &mut store,
        GlobalType::new(ValType::I64, Mutability::Var),
        Val::I64(100),
    )
    .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "g" (global $h (mut i64)))
          (global $c (export "c") i32 (i32.const 42))
          (global $m (export "m") (mut i64) (i64.const -5))
          (global $n (mut i32) (i32.const 0))
          (func (export "get_c") (result i32) global.get $c)
          (func (export "get_m") (result i64) global.get $m)
          (func (export "set_m") (param i64) local.get 0 global.set $m)
          (func (export "bump") (result i32)
            global.get $n i32.const 1 i32.add global.set $n global.get $n)
          (func (export "double_host") (result i64)
            global.get $h i64.const 2 i64.mul global.set $h global.get $h))"#,
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[Extern::Global(imported)]).unwrap();

    let get_c = typed::<(), i32>(&mut store, instance, "get_c");
    let get_m = typed::<(), i64>(&mut store, instance, "get_m");
    let set_m = typed::<i64, ()>(&mut store, instance, "set_m");
    let bump = typed::<(), i32>(&mut store, instance, "bump");
    let double = typed::<(), i64>(&mut store, instance, "double_host");

    assert_eq!(get_c.call(&mut store, ()).unwrap(), 42);
    assert_eq!(get_m.call(&mut store, ()).unwrap(), -5);
    for &v in I64_INPUTS {
        set_m.call(&mut store, v).unwrap();
        assert_eq!(get_m.call(&mut store, ()).unwrap(), v);
    }
    for i in 1..=5 {
        assert_eq!(bump.call(&mut store, ()).unwrap(), i);
    }

    // The exported globals as the host sees them.
    let c = instance.get_global(&mut store, "c").unwrap();
    let m = instance.get_global(&mut store, "m").unwrap();
    assert_eq!(c.get(&mut store).i32(), Some(42));
    assert!(
        c.set(&mut store, Val::I32(1)).is_err(),
        "immutable global set"
    );
    assert_eq!(c.get(&mut store).i32(), Some(42));
    assert_eq!(c.ty(&store).mutability(), Mutability::Const);
    m.set(&mut store, Val::I64(77)).unwrap();
    assert_eq!(get_m.call(&mut store, ()).unwrap(), 77);
    assert!(m.set(&mut store, Val::I32(1)).is_err(), "wrong type");
    assert_eq!(m.get(&mut store).i64(), Some(77));

    // An imported mutable global is shared with the host.
    assert_eq!(double.call(&mut store, ()).unwrap(), 200);
    assert_eq!(imported.get(&mut store).i64(), Some(200));
    imported.set(&mut store, Val::I64(-3)).unwrap();
    assert_eq!(double.call(&mut store, ()).unwrap(), -6);
}

#[test]
fn blocks_branches_and_loops() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func (export "br_if") (param i32) (result i32)
            (block (result i32)
              i32.const 1 local.get 0 br_if 0 drop i32.const 2))
          ;; Sum of 1..=n by a loop.
          (func (export "sum") (param i32) (result i32) (local $acc i32)
            (block $done
              (loop $again
                (br_if $done (i32.eqz (local.get 0)))
                (local.set $acc (i32.add (local.get $acc) (local.get 0)))
                (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                (br $again)))
            local.get $acc)
          (func (export "abs") (param i32) (result i32)
            (if (result i32) (i32.lt_s (local.get 0) (i32.const 0))
              (then (i32.sub (i32.const 0) (local.get 0)))
              (else (local.get 0))))
          (func (export "if_no_else") (param i32) (result i32) (local $r i32)
            (local.set $r (i32.const 7))
            (if (local.get 0) (then (local.set $r (i32.const 8))))
            local.get $r)
          (func (export "switch") (param i32) (result i32)
            (block $d (block $c (block $b (block $a
              (br_table $a $b $c $a $d (local.get 0)))
              (return (i32.const 100)))
              (return (i32.const 101)))
              (return (i32.const 102)))
            i32.const 103)
          ;; br_table carrying a value out of nested blocks.
          (func (export "switch_value") (param i32) (result i32)
            (block $outer (result i32)
              (block $inner (result i32)
                (br_table $inner $outer $inner (i32.const 50) (local.get 0)))
              (i32.add (i32.const 1)))
            (i32.add (i32.const 1000)))
          (func (export "deep_br") (param i32) (result i32)
            (block $out (result i32)
              (block
                (block
                  (block
                    (drop (br_if $out (i32.const 9) (local.get 0))))))
              i32.const 10))
          (func (export "return_from_loop") (param i32) (result i32)
            (loop $l
              (if (i32.gt_u (local.get 0) (i32.const 1000))
                (then (return (local.get 0))))
              (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1)))
              (br $l))
            unreachable)
          (func (export "select") (param i32 i32 i32) (result i32)
            (select (local.get 0) (local.get 1) (local.get 2)))
          (func (export "select_i64") (param i64 i64 i32) (result i64)
            (select (result i64) (local.get 0) (local.get 1) (local.get 2)))
          (func (export "drop_nop") (param i32) (result i32)
            nop (drop (i32.const 99)) nop local.get 0 nop)
          (func (export "unreachable") (param i32) (result i32)
            (if (local.get 0) (then unreachable))
            i32.const 1))"#,
    );
    let f = |store: &mut Store<()>, name| instance.get_typed_func::<i32, i32>(store, name).unwrap();

    let br_if = f(&mut store, "br_if");
    let sum = f(&mut store, "sum");
    let abs = f(&mut store, "abs");
    let if_no_else = f(&mut store, "if_no_else");
    let drop_nop = f(&mut store, "drop_nop");
    let unreachable = f(&mut store, "unreachable");
    for &a in I32_INPUTS {
        check(
            &mut store,
            &br_if,
            "br_if",
            a,
            Ok(if a != 0 { 1 } else { 2 }),
        );
        check(&mut store, &abs, "abs", a, Ok(a.wrapping_abs()));
        check(
            &mut store,
            &if_no_else,
            "if_no_else",
            a,
            Ok(if a != 0 { 8 } else { 7 }),
        );
        check(&mut store, &drop_nop, "drop_nop", a, Ok(a));
        let want = if a != 0 {
            Err(TrapCode::Unreachable)
        } else {
            Ok(1)
        };
        check(&mut store, &unreachable, "unreachable", a, want);
    }
    for n in (0..200).chain([1000, 65535, 100_000]) {
        let want = (1..=n).fold(0i32, |acc, i| acc.wrapping_add(i));
        check(&mut store, &sum, "sum", n, Ok(want));
    }

    let switch = f(&mut store, "switch");
    let switch_value = f(&mut store, "switch_value");
    let deep_br = f(&mut store, "deep_br");
    let ret = f(&mut store, "return_from_loop");
    for a in (-3..8).chain([i32::MIN, i32::MAX, 1 << 16]) {
        let want = match a {
            0 | 3 => 100,
            1 => 101,
            2 => 102,
            _ => 103,
        };
        check(&mut store, &switch, "switch", a, Ok(want));
        let want = if a == 1 { 1050 } else { 1051 };
        check(&mut store, &switch_value, "switch_value", a, Ok(want));
        check(
            &mut store,
            &deep_br,
            "deep_br",
            a,
            Ok(if a != 0 { 9 } else { 10 }),
        );
    }
    for a in [0, 1, 2, 999, 1000, 1001, -1, i32::MIN] {
        let mut x = a;
        while x as u32 <= 1000 {
            x = x.wrapping_mul(3).wrapping_add(1);
        }
        check(&mut store, &ret, "return_from_loop", a, Ok(x));
    }

    let select = typed::<(i32, i32, i32), i32>(&mut store, instance, "select");
    let select_i64 = typed::<(i64, i64, i32), i64>(&mut store, instance, "select_i64");
    for &c in I32_INPUTS {
        check(
            &mut store,
            &select,
            "select",
            (11, 22, c),
            Ok(if c != 0 { 11 } else { 22 }),
        );
        let want = if c != 0 { i64::MIN } else { i64::MAX };
        check(
            &mut store,
            &select_i64,
            "select_i64",
            (i64::MIN, i64::MAX, c),
            Ok(want),
        );
    }
}

#[test]
fn calls_and_recursion() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func $fib (export "fib") (param i64) (result i64)
            (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
              (then (local.get 0))
              (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                             (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
          (func $fac (export "fac") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0))
              (then (i64.const 1))
              (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
          (func $even (export "even") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 1)) (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
          (func $odd (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0)) (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
          ;; More arguments than argument registers, mixed types.
          (func $mix (param i32 i64 i32 i64 i32 i64 i32 i64 i32 i64) (result i64)
            (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))
            (i64.mul (i64.extend_i32_s (local.get 2)) (local.get 3)) i64.sub
            (i64.add (i64.extend_i32_s (local.get 4)) (local.get 5)) i64.xor
            (i64.add (i64.extend_i32_s (local.get 6)) (local.get 7)) i64.add
            (i64.sub (i64.extend_i32_s (local.get 8)) (local.get 9)) i64.or)
          (func (export "call_mix") (param i32 i64) (result i64)
            (call $mix (local.get 0) (local.get 1) (i32.const 3) (i64.const 4) (i32.const -5)
                       (i64.const 6) (local.get 0) (i64.const 8) (i32.const 9) (local.get 1))))"#,
    );
    fn fib(n: i64) -> i64 {
        let (mut a, mut b) = (0i64, 1i64);
        for _ in 0..n {
            (a, b) = (b, a.wrapping_add(b));
        }
        a
    }
    let fib_w = typed::<i64, i64>(&mut store, instance, "fib");
    for n in 0..25 {
        check(&mut store, &fib_w, "fib", n, Ok(fib(n)));
    }
    let fac = typed::<i64, i64>(&mut store, instance, "fac");
    for n in 0..30i64 {
        let want = (1..=n).fold(1i64, |acc, i| acc.wrapping_mul(i));
        check(&mut store, &fac, "fac", n, Ok(want));
    }
    let even = typed::<i32, i32>(&mut store, instance, "even");
    for n in [0, 1, 2, 7, 100, 1001] {
        check(&mut store, &even, "even", n, Ok(i32::from(n % 2 == 0)));
    }
    let call_mix = typed::<(i32, i64), i64>(&mut store, instance, "call_mix");
    for (&a, &b) in I32_INPUTS.iter().zip(I64_INPUTS) {
        // The stack machine's order of operations, step by step.
        let a64 = i64::from(a);
        let x = a64.wrapping_add(b).wrapping_sub(3 * 4);
        let x = x ^ (-5 + 6);
        let x = x.wrapping_add(a64.wrapping_add(8));
        let want = x | 9i64.wrapping_sub(b);
        check(&mut store, &call_mix, "call_mix", (a, b), Ok(want));
    }
}

#[test]
fn multi_value() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func $divmod (export "divmod") (param i32 i32) (result i32 i32)
            (i32.div_u (local.get 0) (local.get 1))
            (i32.rem_u (local.get 0) (local.get 1)))
          (func (export "recombine") (param i32 i32) (result i32)
            (call $divmod (local.get 0) (local.get 1))
            local.set 0 local.set 1
            (i32.add (i32.mul (local.get 1) (local.get 1)) (local.get 0)))
          (func (export "block_params") (param i32 i32) (result i32)
            local.get 0 local.get 1
            (block (param i32 i32) (result i32) i32.sub))
          (func (export "if_params") (param i32 i32 i32) (result i32 i32)
            local.get 0 local.get 1
            (if (param i32 i32) (result i32 i32) (local.get 2)
              (then i32.add i32.const 1)
              (else i32.mul i32.const 0)))
          ;; Sum of 1..=n by a loop whose parameters carry (n, sum).
          (func (export "loop_params") (param $n i32) (result i32) (local $acc i32)
            local.get $n i32.const 0
            (loop $l (param i32 i32) (result i32)
              local.set $acc
              local.set $n
              (if (result i32) (local.get $n)
                (then
                  (i32.sub (local.get $n) (i32.const 1))
                  (i32.add (local.get $acc) (local.get $n))
                  br $l)
                (else (local.get $acc)))))
          (func (export "br_multi") (param i64 i32) (result i32 i64)
            (block (result i32 i64)
              local.get 1 local.get 0
              (br_if 0 (i32.eqz (local.get 1)))
              drop drop
              (i32.const -1) (i64.const -1)))
          (func (export "swap3") (param i32 i64 i32) (result i32 i64 i32)
            local.get 2 local.get 1 local.get 0))"#,
    );
    let divmod = typed::<(i32, i32), (i32, i32)>(&mut store, instance, "divmod");
    let recombine = typed::<(i32, i32), i32>(&mut store, instance, "recombine");
    let block_params = typed::<(i32, i32), i32>(&mut store, instance, "block_params");
    let if_params = typed::<(i32, i32, i32), (i32, i32)>(&mut store, instance, "if_params");
    for &a in I32_INPUTS {
        for &b in I32_INPUTS {
            let (ua, ub) = (a as u32, b as u32);
            let want = if b == 0 {
                Err(TrapCode::IntegerDivisionByZero)
            } else {
                Ok(((ua / ub) as i32, (ua % ub) as i32))
            };
            check(&mut store, &divmod, "divmod", (a, b), want);
            let want = want.map(|(q, r)| q.wrapping_mul(q).wrapping_add(r));
            check(&mut store, &recombine, "recombine", (a, b), want);
            check(
                &mut store,
                &block_params,
                "block_params",
                (a, b),
                Ok(a.wrapping_sub(b)),
            );
            for c in [0, 1] {
                let want = if c != 0 {
                    (a.wrapping_add(b), 1)
                } else {
                    (a.wrapping_mul(b), 0)
                };
                check(&mut store, &if_params, "if_params", (a, b, c), Ok(want));
            }
        }
    }
    let loop_params = typed::<i32, i32>(&mut store, instance, "loop_params");
    for n in [0, 1, 2, 10, 100, 100_000] {
        let want = (1..=n).fold(0i32, |acc, i| acc.wrapping_add(i));
        check(&mut store, &loop_params, "loop_params", n, Ok(want));
    }
    let br_multi = typed::<(i64, i32), (i32, i64)>(&mut store, instance, "br_multi");
    check(
        &mut store,
        &br_multi,
        "br_multi",
        (i64::MIN, 0),
        Ok((0, i64::MIN)),
    );
    check(&mut store, &br_multi, "br_multi", (5, 3), Ok((-1, -1)));
    let swap3 = typed::<(i32, i64, i32), (i32, i64, i32)>(&mut store, instance, "swap3");
    check(&mut store, &swap3, "swap3", (1, 2, 3), Ok((3, 2, 1)));
}

#[test]
fn host_functions_called_from_wasm() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::<i32>::new());
    let add = Func::wrap(&mut store, |a: i32, b: i64| -> i64 {
        i64::from(a).wrapping_add(b)
    });
    let log = Func::wrap(&mut store, |mut caller: Caller<'_, Vec<i32>>, v: i32| {
        caller.data_mut().push(v);
    });
    let pair = Func::wrap(&mut store, |a: u32| -> (u32, u64) {
        (a.wrapping_mul(2), u64::from(a) << 32)
    });
    let fail = Func::wrap(&mut store, |v: i32| -> anyhow::Result<i32> {
        if v < 0 {
            anyhow::bail!("negative argument {v}");
        }
        Ok(v + 1)
    });
    let peek = Func::wrap(&mut store, |mut caller: Caller<'_, Vec<i32>>| -> i32 {
        let global = caller.get_export("g").and_then(Extern::into_global);
        global.and_then(|g| g.get(&mut caller).i32()).unwrap_or(-1)
    });
    let sub = Func::new(
        &mut store,
        FuncType::new([ValType::I64, ValType::I64], [ValType::I64]),
        |_caller, params, results| {
            let (a, b) = (params[0].i64().unwrap(), params[1].i64().unwrap());
            results[0] = Val::I64(a.wrapping_sub(b));
            Ok(())
        },
    );
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "add" (func $add (param i32 i64) (result i64)))
          (import "host" "log" (func $log (param i32)))
          (import "host" "pair" (func $pair (param i32) (result i32 i64)))
          (import "host" "fail" (func $fail (param i32) (result i32)))
          (import "host" "peek" (func $peek (result i32)))
          (import "host" "sub" (func $sub (param i64 i64) (result i64)))
          (global (export "g") (mut i32) (i32.const 5))
          (func (export "add") (param i32 i64) (result i64) (call $add (local.get 0) (local.get 1)))
          (func (export "log3") (param i32)
            (call $log (local.get 0))
            (call $log (i32.add (local.get 0) (i32.const 1)))
            (call $log (i32.add (local.get 0) (i32.const 2))))
          (func (export "pair") (param i32) (result i64) (local $hi i64)
            (call $pair (local.get 0))
            local.set $hi
            i64.extend_i32_u
            local.get $hi
            i64.or)
          (func (export "fail") (param i32) (result i32) (call $fail (local.get 0)))
          (func (export "peek") (result i32)
            (global.set 0 (i32.const 41)) (call $peek))
          (func (export "sub") (param i64 i64) (result i64) (call $sub (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let imports = [add, log, pair, fail, peek, sub].map(Extern::Func);
    let instance = Instance::new(&mut store, &module, &imports).unwrap();

    let add_w = typed::<(i32, i64), i64>(&mut store, instance, "add");
    for (&a, &b) in I32_INPUTS.iter().zip(I64_INPUTS) {
        assert_eq!(
            add_w.call(&mut store, (a, b)).unwrap(),
            i64::from(a).wrapping_add(b)
        );
    }

    let log3 = typed::<i32, ()>(&mut store, instance, "log3");
    log3.call(&mut store, 10).unwrap();
    log3.call(&mut store, -1).unwrap();
    assert_eq!(store.data(), &[10, 11, 12, -1, 0, 1]);

    // `pair` returns (2a, a << 32); the wasm ors the two together.
    let pair_w = typed::<i32, i64>(&mut store, instance, "pair");
    for &a in I32_INPUTS {
        let hi = u64::from(a as u32) << 32;
        let lo = u64::from((a as u32).wrapping_mul(2));
        assert_eq!(
            pair_w.call(&mut store, a).unwrap() as u64,
            hi | lo,
            "pair({a})"
        );
    }

    let fail_w = typed::<i32, i32>(&mut store, instance, "fail");
    assert_eq!(fail_w.call(&mut store, 4).unwrap(), 5);
    let err = fail_w.call(&mut store, -3).unwrap_err();
    assert!(
        err.downcast_ref::<Trap>().is_none(),
        "host error is not a trap: {err:#}"
    );
    assert!(
        format!("{err:#}").contains("negative argument -3"),
        "{err:#}"
    );
    // The store is still usable after a host error unwound wasm frames.
    assert_eq!(fail_w.call(&mut store, 0).unwrap(), 1);

    let peek_w = typed::<(), i32>(&mut store, instance, "peek");
    assert_eq!(peek_w.call(&mut store, ()).unwrap(), 41);

    let sub_w = typed::<(i64, i64), i64>(&mut store, instance, "sub");
    for (&a, &b) in I64_INPUTS.iter().zip(I64_INPUTS.iter().rev()) {
        assert_eq!(sub_w.call(&mut store, (a, b)).unwrap(), a.wrapping_sub(b));
    }

    // Host functions can be called from the host too.
    let mut results = [Val::I64(0)];
    sub.call(&mut store, &[Val::I64(10), Val::I64(3)], &mut results)
        .unwrap();
    assert_eq!(results[0].i64(), Some(7));
    assert_eq!(
        add.typed::<(i32, i64), i64>(&store)
            .unwrap()
            .call(&mut store, (1, 2))
            .unwrap(),
        3
    );
}

#[test]
fn host_function_type_mismatch_is_a_link_error() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let wrong = Func::wrap(&mut store, |a: i64| a);
    let module = Module::new(
        &engine,
        r#"(module (import "host" "f" (func (param i32) (result i32))))"#,
    )
    .unwrap();
    assert!(Instance::new(&mut store, &module, &[Extern::Func(wrong)]).is_err());
    assert!(
        Instance::new(&mut store, &module, &[]).is_err(),
        "missing import"
    );
}

#[test]
fn dynamic_and_typed_calls_check_their_arguments() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "mixed") (param i64 f32 f64) (result f64 f32 i64)
            local.get 2 local.get 1 local.get 0))"#,
    );
    let add = instance.get_func(&mut store, "add").unwrap();
    assert_eq!(
        add.ty(&store),
        FuncType::new([ValType::I32, ValType::I32], [ValType::I32])
    );
    let mut results = [Val::I32(0)];
    for &a in I32_INPUTS {
        add.call(&mut store, &[Val::I32(a), Val::I32(7)], &mut results)
            .unwrap();
        assert_eq!(results[0].i32(), Some(a.wrapping_add(7)));
    }

    // Wrong arity, argument types, or result slots are errors, not traps.
    let bad_calls: [(&[Val], usize); 5] = [
        (&[Val::I32(1)], 1),
        (&[Val::I32(1), Val::I32(2), Val::I32(3)], 1),
        (&[Val::I64(1), Val::I32(2)], 1),
        (&[Val::I32(1), Val::from(2.0f32)], 1),
        (&[Val::I32(1), Val::I32(2)], 0),
    ];
    for (params, nresults) in bad_calls {
        let mut results = vec![Val::I32(0); nresults];
        let err = add.call(&mut store, params, &mut results).unwrap_err();
        assert!(err.downcast_ref::<Trap>().is_none(), "{params:?}: {err:#}");
    }
    // And the function still works afterwards.
    add.call(&mut store, &[Val::I32(1), Val::I32(2)], &mut results)
        .unwrap();
    assert_eq!(results[0].i32(), Some(3));

    // Floats keep their exact bits, NaN payloads included.
    let mixed = instance.get_func(&mut store, "mixed").unwrap();
    let mut results = [Val::F64(0), Val::F32(0), Val::I64(0)];
    let args = [
        Val::I64(-9),
        Val::F32(0x7fa0_0001),
        Val::F64(0xfff4_0000_0000_0001),
    ];
    mixed.call(&mut store, &args, &mut results).unwrap();
    assert!(
        matches!(results[0], Val::F64(0xfff4_0000_0000_0001)),
        "{results:?}"
    );
    assert!(matches!(results[1], Val::F32(0x7fa0_0001)), "{results:?}");
    assert_eq!(results[2].i64(), Some(-9));
    let typed = mixed
        .typed::<(i64, f32, f64), (f64, f32, i64)>(&store)
        .unwrap();
    assert_eq!(
        typed.call(&mut store, (1, 2.5, -0.0)).unwrap(),
        (-0.0, 2.5, 1)
    );

    // Typed views must match the signature exactly.
    assert!(
        instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "add")
            .is_ok()
    );
    assert!(
        instance
            .get_typed_func::<(i64, i64), i32>(&mut store, "add")
            .is_err()
    );
    assert!(
        instance
            .get_typed_func::<(i32, i32), i64>(&mut store, "add")
            .is_err()
    );
    assert!(
        instance
            .get_typed_func::<i32, i32>(&mut store, "add")
            .is_err()
    );
    assert!(
        instance
            .get_typed_func::<(i32, i32), ()>(&mut store, "add")
            .is_err()
    );
    assert!(
        instance
            .get_typed_func::<(u32, u32), u32>(&mut store, "add")
            .is_ok()
    );
    assert!(
        instance
            .get_typed_func::<(), ()>(&mut store, "missing")
            .is_err()
    );
    assert!(instance.get_func(&mut store, "missing").is_none());
}

#[test]
fn traps_have_codes_messages_and_frames() {
    let (mut store, instance) = instantiate(
        r#"(module
          (func $inner (param i32) (result i32)
            (if (i32.eqz (local.get 0)) (then unreachable))
            local.get 0)
          (func $outer (export "outer") (param i32) (result i32)
            (i32.add (call $inner (local.get 0)) (i32.const 1)))
          (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "rem") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
          (func $loop (export "recurse") (param i32) (result i32)
            (i32.add (call $loop (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))"#,
    );
    let outer = typed::<i32, i32>(&mut store, instance, "outer");
    let div = typed::<(i32, i32), i32>(&mut store, instance, "div");
    let rem = typed::<(i64, i64), i64>(&mut store, instance, "rem");
    let recurse = typed::<i32, i32>(&mut store, instance, "recurse");

    let err = outer.call(&mut store, 0).unwrap_err();
    let trap = err.downcast_ref::<Trap>().expect("a trap");
    assert_eq!(trap.code(), TrapCode::Unreachable);
    assert_eq!(trap.message(), "unreachable");
    assert!(
        trap.to_string().starts_with("wasm trap: unreachable"),
        "{trap}"
    );
    let names: Vec<Option<&str>> = trap.frames().iter().map(|f| f.func_name()).collect();
    assert_eq!(names, [Some("inner"), Some("outer")], "{trap}");
    assert_eq!(
        outer.call(&mut store, 5).unwrap(),
        6,
        "store usable after a trap"
    );

    let cases = [
        (
            div.call(&mut store, (1, 0)),
            TrapCode::IntegerDivisionByZero,
            "integer divide by zero",
        ),
        (
            div.call(&mut store, (i32::MIN, -1)),
            TrapCode::IntegerOverflow,
            "integer overflow",
        ),
        (
            rem.call(&mut store, (1, 0)).map(|v| v as i32),
            TrapCode::IntegerDivisionByZero,
            "integer divide by zero",
        ),
        (
            recurse.call(&mut store, 0),
            TrapCode::StackOverflow,
            "call stack exhausted",
        ),
    ];
    for (result, code, message) in cases {
        let err = result.unwrap_err();
        let trap = err.downcast_ref::<Trap>().expect("a trap");
        assert_eq!((trap.code(), trap.message()), (code, message));
    }
    // Deep recursion left nothing behind: ordinary calls still work.
    assert_eq!(div.call(&mut store, (7, 2)).unwrap(), 3);
    assert_eq!(rem.call(&mut store, (-1, 10)).unwrap(), 5);
}

#[test]
fn start_function_trap_fails_instantiation() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func $s (i32.div_u (i32.const 1) (i32.const 0)) drop) (start $s))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert_eq!(
        trap_code(&err),
        Some(TrapCode::IntegerDivisionByZero),
        "{err:#}"
    );
}

/// `memory.copy` of every length from 0 to 40 (short ones are copied
/// inline, longer ones by a libcall), forwards and backwards over
/// overlapping ranges, at both ends of memory, and just out of bounds
/// (a trap that writes nothing): the memory afterwards matches
/// `copy_within` on a copy of it.
#[test]
fn memory_copy_of_every_short_length() {
    let wat = r#"(module
      (memory (export "mem") 1 1)
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let copy = typed::<(i32, i32, i32), ()>(&mut store, instance, "copy");
    let mem = instance.get_memory(&mut store, "mem").unwrap();
    const SIZE: usize = 65536;
    let pattern: Vec<u8> = (0..SIZE).map(|i| (i * 7 + i / 256) as u8).collect();
    for len in 0..=40usize {
        let starts = [0, 1, 3, 100, 103, 120, SIZE - len - 1, SIZE - len];
        for &dst in &starts {
            for &src in &starts {
                for (dst, src) in [(dst, src), (dst + len / 2, src), (dst, src + len / 3)] {
                    mem.data_mut(&mut store).copy_from_slice(&pattern);
                    let mut expected = pattern.clone();
                    let in_bounds = dst + len <= SIZE && src + len <= SIZE;
                    if in_bounds {
                        expected.copy_within(src..src + len, dst);
                    }
                    let got = copy.call(&mut store, (dst as i32, src as i32, len as i32));
                    assert_eq!(got.is_ok(), in_bounds, "copy {len} bytes {src} -> {dst}");
                    if let Err(e) = got {
                        assert_eq!(trap_code(&e), Some(TrapCode::MemoryOutOfBounds));
                    }
                    assert!(
                        mem.data(&store) == expected.as_slice(),
                        "copy {len} bytes {src} -> {dst}"
                    );
                }
            }
        }
    }
}
