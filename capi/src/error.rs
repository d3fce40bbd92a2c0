//! `wasmtime/error.h`: errors that are not traps (a malformed module, a
//! link error, a host function's failure), with their message and, when
//! they happened in wasm, the wasm frames.

use crate::vec::{wasm_frame_vec_t, wasm_name_t};

/// An error: owned by whoever receives it, freed with
/// `wasmtime_error_delete`.
pub struct wasmtime_error_t {
    pub(crate) error: anyhow::Error,
}

/// Boxes `error` for C.
pub(crate) fn new_error(error: anyhow::Error) -> Box<wasmtime_error_t> {
    Box::new(wasmtime_error_t { error })
}

/// `None` (C's NULL) for success, the boxed error otherwise.
pub(crate) fn to_c<T>(result: anyhow::Result<T>) -> Option<Box<wasmtime_error_t>> {
    result.err().map(new_error)
}

/// Writes the value of `result` through the out pointer `out` and
/// returns NULL, or returns the error (leaving `out` alone): the shape of
/// every `wasmtime_error_t *f(..., T *out)` entry point.
///
/// # Safety
///
/// `out` is NULL (which aborts, naming `what`) or valid for a write of `T`.
pub(crate) unsafe fn write_result<T>(
    result: anyhow::Result<T>,
    out: *mut T,
    what: &str,
) -> Option<Box<wasmtime_error_t>> {
    match result {
        Ok(value) => {
            // SAFETY: the caller's contract.
            unsafe { crate::ffi::write_out(out, value, what) };
            None
        }
        Err(error) => Some(new_error(error)),
    }
}

/// The error's message: its description, then the causes it wraps, then
/// (for a trap) the wasm backtrace, as Wasmtime's `{:?}` rendering does.
pub(crate) fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    let mut causes = error.chain().skip(1).peekable();
    if causes.peek().is_some() {
        text.push_str("\n\nCaused by:");
        for cause in causes {
            text.push_str("\n    ");
            text.push_str(&cause.to_string());
        }
    }
    text
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_error_new(msg: *const std::ffi::c_char) -> Box<wasmtime_error_t> {
    // SAFETY: a C string (the header's contract).
    let text = unsafe { crate::ffi::c_str(msg, "message string") };
    new_error(anyhow::Error::msg(text.into_owned()))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_error_delete(error: Option<Box<wasmtime_error_t>>) {
    drop(error);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_error_message(error: &wasmtime_error_t, message: &mut wasm_name_t) {
    *message = wasm_name_t::from_vec(self::message(&error.error).into_bytes());
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_error_exit_status(_error: &wasmtime_error_t, _status: &mut i32) -> bool {
    // Only WASI's `proc_exit` makes an error with an exit status, and Kiln
    // has no WASI: no error carries one.
    false
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_error_wasm_trace(error: &wasmtime_error_t, out: &mut wasm_frame_vec_t) {
    *out = wasm_frame_vec_t::from_boxes(crate::trap::frames_of(&error.error));
}
