//! `wasmtime/func.h`: host functions, calls, and the caller a host
//! function receives.

use crate::error::{new_error, wasmtime_error_t};
use crate::r#extern::{wasmtime_extern_t, wasmtime_func_t};
use crate::ffi::Finalized;
use crate::store::{StoreData, wasmtime_context_t};
use crate::trap::wasm_trap_t;
use crate::types::wasm_functype_t;
use crate::val::{WASMTIME_I32, wasmtime_val_raw_t, wasmtime_val_t, wasmtime_valunion_t};
use anyhow::{Result, bail};
use kiln_runtime::vm::ValRaw;
use kiln_runtime::{AsContextMut, Caller, Func, FuncType, Val, ValType};
use std::ffi::c_void;
use std::mem::MaybeUninit;

/// What a host function gets while it runs: the store it runs in and the
/// calling instance. Valid only during the call.
pub struct wasmtime_caller_t<'a> {
    pub(crate) caller: Caller<'a, StoreData>,
}

/// `wasmtime_func_callback_t`.
pub type wasmtime_func_callback_t = extern "C" fn(
    *mut c_void,
    *mut wasmtime_caller_t<'_>,
    *const wasmtime_val_t,
    usize,
    *mut wasmtime_val_t,
    usize,
) -> Option<Box<wasm_trap_t>>;

/// `wasmtime_func_unchecked_callback_t`.
pub type wasmtime_func_unchecked_callback_t = extern "C" fn(
    *mut c_void,
    *mut wasmtime_caller_t<'_>,
    *mut wasmtime_val_raw_t,
    usize,
) -> Option<Box<wasm_trap_t>>;

/// An `i32` zero: what result slots hold before a callback fills them.
const ZERO: wasmtime_val_t = wasmtime_val_t {
    kind: WASMTIME_I32,
    of: wasmtime_valunion_t { i32: 0 },
};

/// The closure behind a C host function over `wasmtime_val_t`s: converts
/// the raw argument slots, calls `callback` with a reusable buffer of the
/// store, and checks and writes back its results.
pub(crate) fn c_host_fn(
    ty: FuncType,
    callback: wasmtime_func_callback_t,
    env: Finalized,
) -> impl Fn(Caller<'_, StoreData>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static {
    move |mut caller, slots| {
        let env = &env;
        let (params, results) = (ty.params(), ty.results());
        let mut vals = std::mem::take(&mut caller.data_mut().hostcall_vals);
        vals.clear();
        for (raw, t) in slots.iter().zip(params) {
            // SAFETY: compiled code passes arguments of the function's
            // type, references of this store.
            let v = unsafe { Val::from_raw_in(&caller, *raw, *t) };
            vals.push(wasmtime_val_t::from_val(&v));
        }
        vals.resize(params.len() + results.len(), ZERO);
        let (args, outs) = vals.split_at_mut(params.len());
        let mut c_caller = wasmtime_caller_t { caller };
        let trap = callback(
            env.data,
            &mut c_caller,
            args.as_ptr(),
            args.len(),
            outs.as_mut_ptr(),
            outs.len(),
        );
        let mut caller = c_caller.caller;
        let outcome = match trap {
            Some(trap) => Err(trap.error),
            None => {
                let id = caller.as_context_mut().id();
                let outs = outs.iter().map(|v| v.to_val(id));
                write_results(&mut caller, outs, results, slots)
            }
        };
        caller.data_mut().hostcall_vals = vals;
        outcome
    }
}

/// Checks a host callback's results against the function's result types
/// and writes them into the raw slots (shared by the `wasmtime_*` and
/// `wasm.h` host functions).
pub(crate) fn write_results(
    caller: &mut Caller<'_, StoreData>,
    outs: impl Iterator<Item = Result<Val>>,
    types: &[ValType],
    slots: &mut [ValRaw],
) -> Result<()> {
    for (i, (v, t)) in outs.zip(types).enumerate() {
        let v = v?;
        if v.ty() != *t {
            bail!("host function result {i} has type {}, expected {t}", v.ty());
        }
        slots[i] = v.to_raw_in(&mut *caller)?;
    }
    Ok(())
}

/// The closure behind a C host function over raw slots.
pub(crate) fn c_host_fn_unchecked(
    callback: wasmtime_func_unchecked_callback_t,
    env: Finalized,
) -> impl Fn(Caller<'_, StoreData>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static {
    move |caller, slots| {
        let env = &env;
        let mut c_caller = wasmtime_caller_t { caller };
        // `ValRaw` and `wasmtime_val_raw_t` are the same 16 bytes; the
        // slots are 16-aligned, more than C needs.
        let trap = callback(
            env.data,
            &mut c_caller,
            slots.as_mut_ptr().cast(),
            slots.len(),
        );
        match trap {
            Some(trap) => Err(trap.error),
            None => Ok(()),
        }
    }
}

/// Defines host function `closure` of type `ty` in the store of
/// `context`, writing it to `ret`.
///
/// # Safety
///
/// `context` is live and `ret` writable (the header's contract), and
/// `closure` writes results of the result types (`Func::new_unchecked`).
unsafe fn new_host_func(
    context: *mut wasmtime_context_t,
    ty: FuncType,
    closure: impl Fn(Caller<'_, StoreData>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static,
    ret: *mut wasmtime_func_t,
) {
    // SAFETY: the caller's contract.
    unsafe {
        let mut ctx = crate::store::context(context);
        let f = Func::new_unchecked(&mut ctx, ty, closure);
        crate::ffi::write_out(
            ret,
            wasmtime_func_t::from_func(f),
            "wasmtime_func_t out pointer",
        );
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_new(
    context: *mut wasmtime_context_t,
    ty: &wasm_functype_t,
    callback: wasmtime_func_callback_t,
    env: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
    ret: *mut wasmtime_func_t,
) {
    let ty = ty.ty();
    let closure = c_host_fn(ty.clone(), callback, Finalized::new(env, finalizer));
    // SAFETY: the header's contract for `context` and `ret`; the closure
    // checks each result against the function type before writing it.
    unsafe { new_host_func(context, ty, closure, ret) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_new_unchecked(
    context: *mut wasmtime_context_t,
    ty: &wasm_functype_t,
    callback: wasmtime_func_unchecked_callback_t,
    env: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
    ret: *mut wasmtime_func_t,
) {
    let closure = c_host_fn_unchecked(callback, Finalized::new(env, finalizer));
    // SAFETY: the header's contract for `context` and `ret`, and it makes
    // the callback responsible for writing results of the right types.
    unsafe { new_host_func(context, ty.ty(), closure, ret) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_type(
    context: *const wasmtime_context_t,
    func: &wasmtime_func_t,
) -> Box<wasm_functype_t> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    let f = func.func(ctx.id());
    wasm_functype_t::new(f.ty(&ctx))
}

/// Splits a call's failure into a trap (written to `trap_ret`) or an
/// error (returned), as Wasmtime does: only a wasm trap is a trap.
///
/// # Safety
///
/// `trap_ret` is writable.
pub(crate) unsafe fn trap_or_error(
    error: anyhow::Error,
    trap_ret: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    if crate::trap::code_of(&error).is_some() {
        let trap = Box::into_raw(wasm_trap_t::new(error));
        // SAFETY: the caller's contract.
        unsafe { crate::ffi::write_out(trap_ret, trap, "wasm_trap_t out pointer") };
        None
    } else {
        Some(new_error(error))
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_call(
    context: *mut wasmtime_context_t,
    func: &wasmtime_func_t,
    args: *const wasmtime_val_t,
    nargs: usize,
    results: *mut wasmtime_val_t,
    nresults: usize,
    trap_ret: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // No trap unless one is written below (Wasmtime leaves the pointer
    // alone on success; clearing it is kinder to callers who reuse it).
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::ffi::write_out(trap_ret, std::ptr::null_mut(), "wasm_trap_t out pointer") };
    let id = ctx.id();
    let f = func.func(id);
    // SAFETY: `nargs` values at `args` (the header's contract).
    let args = unsafe { crate::ffi::slice(args, nargs) };
    // SAFETY: `nresults` writable slots at `results` (the header's
    // contract).
    let outs = unsafe { crate::ffi::slice_mut(results, nresults) };
    let outcome = match call_numeric(&mut ctx, f, args, outs) {
        Some(outcome) => outcome,
        None => call_vals(&mut ctx, f, args, outs),
    };
    match outcome {
        Ok(()) => None,
        // SAFETY: `trap_ret` is writable (the header's contract).
        Err(e) => unsafe { trap_or_error(e, trap_ret) },
    }
}

/// `wasmtime_func_call` through the runtime's `Val`s: any function type
/// (references included), every argument checked.
fn call_vals(
    ctx: &mut kiln_runtime::StoreContextMut<'_, StoreData>,
    f: Func,
    args: &[wasmtime_val_t],
    outs: &mut [wasmtime_val_t],
) -> Result<()> {
    let id = ctx.id();
    let params = args
        .iter()
        .map(|a| a.to_val(id))
        .collect::<Result<Vec<_>>>()?;
    let mut results = vec![Val::I32(0); outs.len()];
    f.call(&mut *ctx, &params, &mut results)?;
    for (slot, v) in outs.iter_mut().zip(&results) {
        crate::ffi::init(slot, wasmtime_val_t::from_val(v));
    }
    Ok(())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_call_unchecked(
    context: *mut wasmtime_context_t,
    func: &wasmtime_func_t,
    args_and_results: *mut wasmtime_val_raw_t,
    len: usize,
    trap_ret: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::ffi::write_out(trap_ret, std::ptr::null_mut(), "wasm_trap_t out pointer") };
    let f = func.func(ctx.id());
    // SAFETY: `len` slots of the right types (the header's contract);
    // `call_unchecked` copies them if they are not 16-aligned.
    match unsafe { f.call_unchecked(&mut ctx, args_and_results.cast::<ValRaw>(), len) } {
        Ok(()) => None,
        // SAFETY: `trap_ret` is writable (the header's contract).
        Err(e) => unsafe { trap_or_error(e, trap_ret) },
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_caller_export_get(
    caller: &mut wasmtime_caller_t<'_>,
    name: *const u8,
    name_len: usize,
    item: *mut wasmtime_extern_t,
) -> bool {
    // SAFETY: `name_len` bytes at `name` (the header's contract).
    let Ok(name) = (unsafe { crate::ffi::str(name, name_len, "export name") }) else {
        return false;
    };
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::r#extern::write_found(caller.caller.get_export(name), item) }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_caller_context(
    caller: &mut wasmtime_caller_t<'_>,
) -> *mut wasmtime_context_t {
    caller.caller.as_context_mut().as_raw()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_from_raw(
    context: *mut wasmtime_context_t,
    raw: *mut c_void,
    ret: *mut wasmtime_func_t,
) {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    // SAFETY: `raw` is a funcref of this store (the header's contract).
    let f = unsafe { Func::from_raw(&ctx, raw.cast()) };
    let out = wasmtime_func_t::from_funcref(f);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::ffi::write_out(ret, out, "wasmtime_func_t out pointer") }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_func_to_raw(
    context: *mut wasmtime_context_t,
    func: &wasmtime_func_t,
) -> *mut c_void {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let f = func.func(ctx.id());
    f.to_raw(&mut ctx)
        .unwrap_or_else(|e| {
            eprintln!("kiln: wasmtime_func_to_raw: {e}");
            std::process::abort()
        })
        .cast()
}

/// Most arguments and results the allocation-free call path handles.
const FAST_SLOTS: usize = 16;

/// The C kind of a number type, `None` for references (and v128).
fn numeric_kind(t: ValType) -> Option<u8> {
    Some(match t {
        ValType::I32 => crate::val::WASMTIME_I32,
        ValType::I64 => crate::val::WASMTIME_I64,
        ValType::F32 => crate::val::WASMTIME_F32,
        ValType::F64 => crate::val::WASMTIME_F64,
        _ => return None,
    })
}

/// `wasmtime_func_call` without allocating, for functions whose
/// parameters and results are all numbers (at most [`FAST_SLOTS`] of
/// each): arguments are checked against the type and passed as raw slots
/// on the stack. `None` when the function is not of that shape (the
/// general path handles it, with the same checks and errors).
fn call_numeric(
    ctx: &mut kiln_runtime::StoreContextMut<'_, StoreData>,
    f: Func,
    args: &[wasmtime_val_t],
    outs: &mut [wasmtime_val_t],
) -> Option<Result<()>> {
    let (callee, ty) = f.resolve(&*ctx);
    let (params, results) = (ty.params(), ty.results());
    if params.len() != args.len() || results.len() != outs.len() {
        return None;
    }
    let n = callee.slots();
    if n > FAST_SLOTS {
        return None;
    }
    let mut slots = [MaybeUninit::<ValRaw>::uninit(); FAST_SLOTS];
    for ((slot, a), p) in slots.iter_mut().zip(args).zip(params) {
        if numeric_kind(*p) != Some(a.kind) {
            return None;
        }
        // SAFETY: `kind` was checked to be a number kind, which says which
        // field is set; each is plain data.
        slot.write(unsafe {
            match a.kind {
                crate::val::WASMTIME_I32 | crate::val::WASMTIME_F32 => {
                    ValRaw::from_u32(a.of.i32 as u32)
                }
                _ => ValRaw::from_u64(a.of.i64 as u64),
            }
        });
    }
    let mut kinds = [0u8; FAST_SLOTS];
    for (k, r) in kinds.iter_mut().zip(results) {
        *k = numeric_kind(*r)?;
    }
    // Slots only results use start out as zeros.
    for slot in &mut slots[args.len()..n] {
        slot.write(ValRaw::default());
    }
    // SAFETY: the first `n` = max(params, results) slots are initialized,
    // the arguments of the parameter types, and the function was resolved
    // in this store.
    let outcome = unsafe { callee.call(&mut *ctx, slots.as_mut_ptr().cast::<ValRaw>()) };
    if outcome.is_ok() {
        for ((out, raw), kind) in outs.iter_mut().zip(&slots).zip(kinds) {
            // SAFETY: the call wrote a result into each of the first
            // `results.len()` slots.
            let raw = unsafe { raw.assume_init() };
            let of = match kind {
                crate::val::WASMTIME_I32 | crate::val::WASMTIME_F32 => wasmtime_valunion_t {
                    i32: raw.get_u32() as i32,
                },
                _ => wasmtime_valunion_t {
                    i64: raw.get_u64() as i64,
                },
            };
            crate::ffi::init(out, wasmtime_val_t { kind, of });
        }
    }
    Some(outcome)
}
