//! `wasmtime/table.h`: tables of a store.

use crate::error::{wasmtime_error_t, write_result};
use crate::r#extern::wasmtime_table_t;
use crate::store::wasmtime_context_t;
use crate::types::wasm_tabletype_t;
use crate::val::wasmtime_val_t;
use kiln_runtime::Table;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_new(
    context: *mut wasmtime_context_t,
    ty: &wasm_tabletype_t,
    init: &wasmtime_val_t,
    ret: *mut wasmtime_table_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let result = init
        .to_val(ctx.id())
        .and_then(|init| Table::new(&mut ctx, ty.ty(), init));
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        write_result(
            result.map(wasmtime_table_t::from_table),
            ret,
            "wasmtime_table_t out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_type(
    context: *const wasmtime_context_t,
    table: &wasmtime_table_t,
) -> Box<wasm_tabletype_t> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    wasm_tabletype_t::new(table.table(ctx.id()).declared_ty(&ctx))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_get(
    context: *mut wasmtime_context_t,
    table: &wasmtime_table_t,
    index: u64,
    val: *mut wasmtime_val_t,
) -> bool {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    match table.table(ctx.id()).get(&mut ctx, index) {
        Some(v) => {
            // SAFETY: a writable out pointer (the header's contract).
            unsafe {
                crate::ffi::write_out(
                    val,
                    wasmtime_val_t::from_val(&v),
                    "wasmtime_val_t out pointer",
                )
            };
            true
        }
        None => false,
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_set(
    context: *mut wasmtime_context_t,
    table: &wasmtime_table_t,
    index: u64,
    value: &wasmtime_val_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let t = table.table(ctx.id());
    crate::error::to_c(
        value
            .to_val(ctx.id())
            .and_then(|v| t.set(&mut ctx, index, v)),
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_size(
    context: *const wasmtime_context_t,
    table: &wasmtime_table_t,
) -> u64 {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    table.table(ctx.id()).size(&ctx)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_table_grow(
    context: *mut wasmtime_context_t,
    table: &wasmtime_table_t,
    delta: u64,
    init: &wasmtime_val_t,
    prev_size: *mut u64,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let t = table.table(ctx.id());
    let result = init
        .to_val(ctx.id())
        .and_then(|init| t.grow(&mut ctx, delta, init));
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, prev_size, "previous size out pointer") }
}
