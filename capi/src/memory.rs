//! `wasmtime/memory.h`: linear memories of a store (the memory-type
//! functions are in `types`).

use crate::error::{wasmtime_error_t, write_result};
use crate::r#extern::wasmtime_memory_t;
use crate::store::wasmtime_context_t;
use crate::types::wasm_memorytype_t;
use kiln_runtime::Memory;

/// Bytes per page: Kiln's memories use 64 KiB pages only.
const PAGE_SIZE_LOG2: u8 = 16;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_new(
    context: *mut wasmtime_context_t,
    ty: &wasm_memorytype_t,
    ret: *mut wasmtime_memory_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let result = Memory::new(&mut ctx, ty.ty()).map(wasmtime_memory_t::from_memory);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasmtime_memory_t out pointer") }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_type(
    context: *const wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> Box<wasm_memorytype_t> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    wasm_memorytype_t::new(memory.memory(ctx.id()).declared_ty(&ctx))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_data(
    context: *mut wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> *mut u8 {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    memory.memory(ctx.id()).data_mut(&mut ctx).as_mut_ptr()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_data_size(
    context: *const wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> usize {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    memory.memory(ctx.id()).data(&ctx).len()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_size(
    context: *const wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> u64 {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    memory.memory(ctx.id()).size(&ctx)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_grow(
    context: *mut wasmtime_context_t,
    memory: &wasmtime_memory_t,
    delta: u64,
    prev_size: *mut u64,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let m = memory.memory(ctx.id());
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        write_result(
            m.grow(&mut ctx, delta),
            prev_size,
            "previous size out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_page_size(
    context: *mut wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> u64 {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    memory.memory(ctx.id());
    1 << PAGE_SIZE_LOG2
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memory_page_size_log2(
    context: *mut wasmtime_context_t,
    memory: &wasmtime_memory_t,
) -> u8 {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    memory.memory(ctx.id());
    PAGE_SIZE_LOG2
}
