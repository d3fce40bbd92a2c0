//! `wasmtime/trap.h` and the trap and frame parts of `wasm.h`: a trap is
//! an error raised by wasm (or a host function's trap) with an optional
//! trap code and the wasm frames live when it happened.

use crate::vec::{wasm_byte_vec_t, wasm_frame_vec_t, wasm_name_t};
use crate::wasm::{RefKind, wasm_ref_t};
use kiln_runtime::{FrameInfo, Trap, TrapCode};
use std::fmt;

/// A trap: owned by whoever receives it, freed with `wasm_trap_delete`.
/// Starts with the reference header, so it is also a `wasm_ref_t`.
#[repr(C)]
pub struct wasm_trap_t {
    pub(crate) header: wasm_ref_t,
    pub(crate) error: anyhow::Error,
}

impl wasm_trap_t {
    pub(crate) fn new(error: anyhow::Error) -> Box<wasm_trap_t> {
        Box::new(wasm_trap_t {
            header: wasm_ref_t::new(RefKind::Trap),
            error,
        })
    }
}

/// Wasmtime's trap codes (`WASMTIME_TRAP_CODE_*`), the numbering of the
/// C API.
pub(crate) mod code {
    pub const STACK_OVERFLOW: u8 = 0;
    pub const MEMORY_OUT_OF_BOUNDS: u8 = 1;
    pub const HEAP_MISALIGNED: u8 = 2;
    pub const TABLE_OUT_OF_BOUNDS: u8 = 3;
    pub const INDIRECT_CALL_TO_NULL: u8 = 4;
    pub const BAD_SIGNATURE: u8 = 5;
    pub const INTEGER_OVERFLOW: u8 = 6;
    pub const INTEGER_DIVISION_BY_ZERO: u8 = 7;
    pub const BAD_CONVERSION_TO_INTEGER: u8 = 8;
    pub const UNREACHABLE_CODE_REACHED: u8 = 9;
    pub const INTERRUPT: u8 = 10;
    pub const OUT_OF_FUEL: u8 = 11;
    pub const ATOMIC_WAIT_NON_SHARED_MEMORY: u8 = 12;
    pub const NULL_REFERENCE: u8 = 13;
    pub const ARRAY_OUT_OF_BOUNDS: u8 = 14;
    pub const ALLOCATION_TOO_LARGE: u8 = 15;
    pub const CAST_FAILURE: u8 = 16;
    pub const CANNOT_ENTER_COMPONENT: u8 = 17;
    pub const NO_ASYNC_RESULT: u8 = 18;
    pub const UNHANDLED_TAG: u8 = 19;
    pub const CONTINUATION_ALREADY_CONSUMED: u8 = 20;
    pub const DISABLED_OPCODE: u8 = 21;
    pub const ASYNC_DEADLOCK: u8 = 22;
}

/// The C code of a Kiln trap code.
pub(crate) fn c_code(trap: TrapCode) -> u8 {
    match trap {
        TrapCode::StackOverflow => code::STACK_OVERFLOW,
        TrapCode::MemoryOutOfBounds => code::MEMORY_OUT_OF_BOUNDS,
        TrapCode::TableOutOfBounds | TrapCode::UndefinedElement => code::TABLE_OUT_OF_BOUNDS,
        TrapCode::UninitializedElement => code::INDIRECT_CALL_TO_NULL,
        TrapCode::IndirectCallTypeMismatch => code::BAD_SIGNATURE,
        TrapCode::IntegerOverflow => code::INTEGER_OVERFLOW,
        TrapCode::IntegerDivisionByZero => code::INTEGER_DIVISION_BY_ZERO,
        TrapCode::BadConversionToInteger => code::BAD_CONVERSION_TO_INTEGER,
        TrapCode::Unreachable => code::UNREACHABLE_CODE_REACHED,
        TrapCode::Interrupt => code::INTERRUPT,
        TrapCode::OutOfFuel => code::OUT_OF_FUEL,
        _ => code::UNREACHABLE_CODE_REACHED,
    }
}

/// The Kiln trap code of a C code, when Kiln has one.
fn kiln_code(c: u8) -> Option<TrapCode> {
    Some(match c {
        code::STACK_OVERFLOW => TrapCode::StackOverflow,
        code::MEMORY_OUT_OF_BOUNDS => TrapCode::MemoryOutOfBounds,
        code::TABLE_OUT_OF_BOUNDS => TrapCode::TableOutOfBounds,
        code::INDIRECT_CALL_TO_NULL => TrapCode::UninitializedElement,
        code::BAD_SIGNATURE => TrapCode::IndirectCallTypeMismatch,
        code::INTEGER_OVERFLOW => TrapCode::IntegerOverflow,
        code::INTEGER_DIVISION_BY_ZERO => TrapCode::IntegerDivisionByZero,
        code::BAD_CONVERSION_TO_INTEGER => TrapCode::BadConversionToInteger,
        code::UNREACHABLE_CODE_REACHED => TrapCode::Unreachable,
        code::INTERRUPT => TrapCode::Interrupt,
        code::OUT_OF_FUEL => TrapCode::OutOfFuel,
        _ => return None,
    })
}

/// A trap made by `wasmtime_trap_new_code` with a code Kiln's wasm never
/// raises (those of proposals it does not implement).
#[derive(Debug)]
struct ForeignCode(u8);

impl fmt::Display for ForeignCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.0 {
            code::HEAP_MISALIGNED => "misaligned memory access",
            code::ATOMIC_WAIT_NON_SHARED_MEMORY => "atomic wait on non-shared memory",
            code::NULL_REFERENCE => "null reference",
            code::ARRAY_OUT_OF_BOUNDS => "out of bounds array access",
            code::ALLOCATION_TOO_LARGE => "allocation size too large",
            code::CAST_FAILURE => "cast failure",
            code::CANNOT_ENTER_COMPONENT => "cannot enter component instance",
            code::NO_ASYNC_RESULT => "async-lifted export failed to produce a result",
            code::UNHANDLED_TAG => "unhandled tag",
            code::CONTINUATION_ALREADY_CONSUMED => "continuation already consumed",
            code::DISABLED_OPCODE => "disabled opcode",
            code::ASYNC_DEADLOCK => "deadlock detected",
            _ => "trap",
        };
        write!(f, "wasm trap: {what}")
    }
}

impl std::error::Error for ForeignCode {}

/// The trap code of `error`, if it is a trap with one.
pub(crate) fn code_of(error: &anyhow::Error) -> Option<u8> {
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return Some(c_code(trap.code()));
    }
    error.downcast_ref::<ForeignCode>().map(|c| c.0)
}

/// A frame of a trap's backtrace: owned, freed with `wasm_frame_delete`.
pub struct wasm_frame_t {
    frame: FrameInfo,
    func_name: Option<wasm_name_t>,
    module_name: Option<wasm_name_t>,
}

impl wasm_frame_t {
    fn new(frame: &FrameInfo) -> Box<wasm_frame_t> {
        let name = |s: Option<&str>| s.map(|s| wasm_name_t::from_vec(s.as_bytes().to_vec()));
        Box::new(wasm_frame_t {
            func_name: name(frame.func_name()),
            module_name: name(frame.module_name()),
            frame: frame.clone(),
        })
    }
}

impl Drop for wasm_frame_t {
    fn drop(&mut self) {
        for name in [self.func_name.take(), self.module_name.take()]
            .into_iter()
            .flatten()
        {
            let mut name = name;
            drop(name.take());
        }
    }
}

/// A copy of `frame` (for frame vectors).
pub(crate) fn frame_copy(frame: &wasm_frame_t) -> Box<wasm_frame_t> {
    wasm_frame_t::new(&frame.frame)
}

/// The wasm frames of `error`, innermost first (none if it is not a trap
/// raised in wasm).
#[allow(clippy::vec_box, reason = "the boxes become owned C pointers")]
pub(crate) fn frames_of(error: &anyhow::Error) -> Vec<Box<wasm_frame_t>> {
    match error.downcast_ref::<Trap>() {
        Some(trap) => trap.frames().iter().map(wasm_frame_t::new).collect(),
        None => Vec::new(),
    }
}

/// The message bytes of a `wasm.h` message (NUL-terminated by convention;
/// a missing terminator is tolerated).
fn message_text(message: &wasm_byte_vec_t) -> String {
    let bytes = message.as_slice();
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_new(
    _store: &crate::store::wasm_store_t,
    message: &wasm_byte_vec_t,
) -> Box<wasm_trap_t> {
    wasm_trap_t::new(anyhow::Error::msg(message_text(message)))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_trap_new(message: *const u8, len: usize) -> Box<wasm_trap_t> {
    // SAFETY: `len` bytes at `message` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(message, len) };
    wasm_trap_t::new(anyhow::Error::msg(
        String::from_utf8_lossy(bytes).into_owned(),
    ))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_trap_new_code(code: u8) -> Box<wasm_trap_t> {
    let error = match kiln_code(code) {
        Some(kiln) => anyhow::Error::new(Trap::new(kiln)),
        None => anyhow::Error::new(ForeignCode(code)),
    };
    wasm_trap_t::new(error)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_delete(trap: Option<Box<wasm_trap_t>>) {
    drop(trap);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_copy(trap: &wasm_trap_t) -> Box<wasm_trap_t> {
    let error = match trap.error.downcast_ref::<Trap>() {
        Some(t) => anyhow::Error::new(t.clone()),
        None => match trap.error.downcast_ref::<ForeignCode>() {
            Some(c) => anyhow::Error::new(ForeignCode(c.0)),
            None => anyhow::Error::msg(crate::error::message(&trap.error)),
        },
    };
    wasm_trap_t::new(error)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_message(trap: &wasm_trap_t, out: &mut wasm_byte_vec_t) {
    let mut bytes = crate::error::message(&trap.error).into_bytes();
    bytes.push(0);
    crate::ffi::init(out, wasm_byte_vec_t::from_vec(bytes));
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_origin(trap: &wasm_trap_t) -> Option<Box<wasm_frame_t>> {
    frames_of(&trap.error).into_iter().next()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_trace(trap: &wasm_trap_t, out: &mut wasm_frame_vec_t) {
    crate::ffi::init(out, wasm_frame_vec_t::from_boxes(frames_of(&trap.error)));
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_trap_code(trap: &wasm_trap_t, out: *mut u8) -> bool {
    match code_of(&trap.error) {
        Some(c) => {
            // SAFETY: the caller passes a writable byte.
            unsafe { crate::ffi::write_out(out, c, "trap code out pointer") };
            true
        }
        None => false,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_delete(frame: Option<Box<wasm_frame_t>>) {
    drop(frame);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_copy(frame: &wasm_frame_t) -> Box<wasm_frame_t> {
    frame_copy(frame)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_instance(_frame: &wasm_frame_t) -> *mut crate::wasm::wasm_instance_t {
    // Kiln's frames record where the trap was (function and offsets), not
    // a reference to the instance: documented as returning NULL.
    std::ptr::null_mut()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_func_index(frame: &wasm_frame_t) -> u32 {
    frame.frame.func_index()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_func_offset(frame: &wasm_frame_t) -> usize {
    frame.frame.func_offset().unwrap_or(usize::MAX)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_frame_module_offset(frame: &wasm_frame_t) -> usize {
    frame.frame.module_offset().unwrap_or(usize::MAX)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_frame_func_name(frame: &wasm_frame_t) -> Option<&wasm_name_t> {
    frame.func_name.as_ref()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_frame_module_name(frame: &wasm_frame_t) -> Option<&wasm_name_t> {
    frame.module_name.as_ref()
}
