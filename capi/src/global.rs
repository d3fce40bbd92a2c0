//! `wasmtime/global.h`: globals of a store.

use crate::error::{wasmtime_error_t, write_result};
use crate::r#extern::wasmtime_global_t;
use crate::store::wasmtime_context_t;
use crate::types::wasm_globaltype_t;
use crate::val::wasmtime_val_t;
use kiln_runtime::Global;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_global_new(
    context: *mut wasmtime_context_t,
    ty: &wasm_globaltype_t,
    val: &wasmtime_val_t,
    ret: *mut wasmtime_global_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let result = val
        .to_val(ctx.id())
        .and_then(|v| Global::new(&mut ctx, ty.ty(), v));
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        write_result(
            result.map(wasmtime_global_t::from_global),
            ret,
            "wasmtime_global_t out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_global_type(
    context: *const wasmtime_context_t,
    global: &wasmtime_global_t,
) -> Box<wasm_globaltype_t> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    wasm_globaltype_t::new(global.global(ctx.id()).ty(&ctx))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_global_get(
    context: *mut wasmtime_context_t,
    global: &wasmtime_global_t,
    out: *mut wasmtime_val_t,
) {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    let v = global.global(ctx.id()).get(&ctx);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        crate::ffi::write_out(
            out,
            wasmtime_val_t::from_val(&v),
            "wasmtime_val_t out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_global_set(
    context: *mut wasmtime_context_t,
    global: &wasmtime_global_t,
    val: &wasmtime_val_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let g = global.global(ctx.id());
    crate::error::to_c(val.to_val(ctx.id()).and_then(|v| g.set(&mut ctx, v)))
}
