//! `wasmtime/wat.h`: the text format to binary.

use crate::error::{wasmtime_error_t, write_result};
use crate::vec::wasm_byte_vec_t;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_wat2wasm(
    wat: *const u8,
    wat_len: usize,
    ret: &mut wasm_byte_vec_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `wat_len` bytes at `wat` (the header's contract).
    let text = unsafe { crate::ffi::str(wat, wat_len, "the text") };
    let result = text.and_then(|t| Ok(wat::parse_str(t)?));
    let result = result.map(wasm_byte_vec_t::from_vec);
    // SAFETY: `ret` is a reference, valid for writes.
    unsafe { write_result(result, ret, "wasm_byte_vec_t out pointer") }
}
