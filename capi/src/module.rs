//! `wasmtime/module.h`: compiled modules.

use crate::engine::wasm_engine_t;
use crate::error::{to_c, wasmtime_error_t, write_result};
use crate::types::{wasm_exporttype_t, wasm_importtype_t};
use crate::vec::{wasm_byte_vec_t, wasm_exporttype_vec_t, wasm_importtype_vec_t};
use kiln_runtime::Module;
use std::ffi::c_void;

/// A compiled module: cheap to clone (`wasmtime_module_clone` shares the
/// code), freed with `wasmtime_module_delete`.
pub struct wasmtime_module_t {
    pub(crate) module: Module,
}

impl wasmtime_module_t {
    /// A new handle to `module`, owned by C.
    pub(crate) fn into_raw(module: Module) -> *mut wasmtime_module_t {
        Box::into_raw(Box::new(wasmtime_module_t { module }))
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_new(
    engine: &wasm_engine_t,
    wasm: *const u8,
    wasm_len: usize,
    ret: *mut *mut wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `wasm_len` bytes at `wasm` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(wasm, wasm_len) };
    let result = Module::from_binary(&engine.engine, bytes).map(wasmtime_module_t::into_raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasmtime_module_t out pointer") }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_module_delete(module: Option<Box<wasmtime_module_t>>) {
    drop(module);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_module_clone(module: &wasmtime_module_t) -> Box<wasmtime_module_t> {
    Box::new(wasmtime_module_t {
        module: module.module.clone(),
    })
}

/// The import types of `module`, for `wasm_importtype_vec_t`s.
#[allow(clippy::vec_box, reason = "the boxes become owned C pointers")]
pub(crate) fn import_types(module: &Module) -> Vec<Box<wasm_importtype_t>> {
    module
        .imports()
        .map(|i| wasm_importtype_t::new(i.module().to_string(), i.name().to_string(), i.ty()))
        .collect()
}

/// The export types of `module`, for `wasm_exporttype_vec_t`s.
#[allow(clippy::vec_box, reason = "the boxes become owned C pointers")]
pub(crate) fn export_types(module: &Module) -> Vec<Box<wasm_exporttype_t>> {
    module
        .exports()
        .map(|e| wasm_exporttype_t::new(e.name().to_string(), e.ty()))
        .collect()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_module_imports(
    module: &wasmtime_module_t,
    out: &mut wasm_importtype_vec_t,
) {
    crate::ffi::init(
        out,
        wasm_importtype_vec_t::from_boxes(import_types(&module.module)),
    );
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_module_exports(
    module: &wasmtime_module_t,
    out: &mut wasm_exporttype_vec_t,
) {
    crate::ffi::init(
        out,
        wasm_exporttype_vec_t::from_boxes(export_types(&module.module)),
    );
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_validate(
    engine: &wasm_engine_t,
    wasm: *const u8,
    wasm_len: usize,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `wasm_len` bytes at `wasm` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(wasm, wasm_len) };
    to_c(Module::validate(&engine.engine, bytes))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_image_range(
    module: &wasmtime_module_t,
    start: *mut *mut c_void,
    end: *mut *mut c_void,
) {
    let range = module.module.code().range();
    // SAFETY: writable out pointers (the header's contract).
    unsafe {
        crate::ffi::write_out(start, range.start as *mut c_void, "image start out pointer");
        crate::ffi::write_out(end, range.end as *mut c_void, "image end out pointer");
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_serialize(
    module: &wasmtime_module_t,
    ret: *mut wasm_byte_vec_t,
) -> Option<Box<wasmtime_error_t>> {
    let result = module.module.serialize().map(wasm_byte_vec_t::from_vec);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasm_byte_vec_t out pointer") }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_deserialize(
    engine: &wasm_engine_t,
    bytes: *const u8,
    bytes_len: usize,
    ret: *mut *mut wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `bytes_len` bytes at `bytes` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(bytes, bytes_len) };
    // SAFETY: the header documents that the bytes must come from
    // `wasmtime_module_serialize`; damaged bytes are rejected by the
    // format's length, checksum and consistency checks.
    let result =
        unsafe { Module::deserialize(&engine.engine, bytes) }.map(wasmtime_module_t::into_raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasmtime_module_t out pointer") }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_module_deserialize_file(
    engine: &wasm_engine_t,
    path: *const std::ffi::c_char,
    ret: *mut *mut wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a C string (the header's contract).
    let path = unsafe { crate::ffi::c_str(path, "file path") };
    // SAFETY: as for `wasmtime_module_deserialize`; the file must not
    // change while the module lives (the header's contract).
    let result = unsafe { Module::deserialize_file(&engine.engine, &*path) }
        .map(wasmtime_module_t::into_raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasmtime_module_t out pointer") }
}

/// `kiln/precompile.h`: compiles without keeping the module.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_engine_precompile_module(
    engine: &wasm_engine_t,
    wasm: *const u8,
    wasm_len: usize,
    ret: *mut wasm_byte_vec_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `wasm_len` bytes at `wasm` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(wasm, wasm_len) };
    let result = engine
        .engine
        .precompile_module(bytes)
        .map(wasm_byte_vec_t::from_vec);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, ret, "wasm_byte_vec_t out pointer") }
}

/// `kiln/precompile.h`: true if the bytes start like a precompiled module.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_is_precompiled(bytes: *const u8, bytes_len: usize) -> bool {
    // SAFETY: `bytes_len` bytes at `bytes` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(bytes, bytes_len) };
    kiln_runtime::is_serialized(bytes)
}
