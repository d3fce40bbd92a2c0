//! aarch64: the entry trampoline into wasm, the trap landing pad, and access
//! to the registers of a signal context. Same contract as the x86-64 file.

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl kiln_enter_wasm",
    ".hidden kiln_enter_wasm",
    ".type kiln_enter_wasm,%function",
    "kiln_enter_wasm:",
    "stp x29, x30, [sp, #-16]!",
    "mov x29, sp",
    "stp x19, x20, [sp, #-16]!",
    "stp x21, x22, [sp, #-16]!",
    "stp x23, x24, [sp, #-16]!",
    "stp x25, x26, [sp, #-16]!",
    "stp x27, x28, [sp, #-16]!",
    "stp d8, d9, [sp, #-16]!",
    "stp d10, d11, [sp, #-16]!",
    "stp d12, d13, [sp, #-16]!",
    "stp d14, d15, [sp, #-16]!",
    "mov x9, sp",
    "str x9, [x0]",
    "mov x9, x1",
    "mov x0, x2",
    "mov x1, x3",
    "mov x2, x4",
    "mov x3, x5",
    "blr x9",
    "mov w0, #0",
    "2:",
    "ldp d14, d15, [sp], #16",
    "ldp d12, d13, [sp], #16",
    "ldp d10, d11, [sp], #16",
    "ldp d8, d9, [sp], #16",
    "ldp x27, x28, [sp], #16",
    "ldp x25, x26, [sp], #16",
    "ldp x23, x24, [sp], #16",
    "ldp x21, x22, [sp], #16",
    "ldp x19, x20, [sp], #16",
    "ldp x29, x30, [sp], #16",
    "ret",
    ".globl kiln_trap_landing",
    ".hidden kiln_trap_landing",
    "kiln_trap_landing:",
    "mov w0, #1",
    "b 2b",
    ".size kiln_enter_wasm, .-kiln_enter_wasm",
    "",
    ".p2align 4",
    ".globl kiln_raise_trap",
    ".hidden kiln_raise_trap",
    ".type kiln_raise_trap,%function",
    "kiln_raise_trap:",
    "mov sp, x0",
    "b kiln_trap_landing",
    ".size kiln_raise_trap, .-kiln_raise_trap",
);

/// Program counter, frame pointer of a signal context.
///
/// # Safety
///
/// `ctx` must be the `ucontext_t` passed to a signal handler.
pub unsafe fn context_pc_fp(ctx: *mut libc::c_void) -> (usize, usize) {
    // SAFETY: the caller passes a valid ucontext_t.
    unsafe {
        let uc = &*ctx.cast::<libc::ucontext_t>();
        (uc.uc_mcontext.pc as usize, uc.uc_mcontext.regs[29] as usize)
    }
}

/// Makes the signal context resume at `pc` with stack pointer `sp`.
///
/// # Safety
///
/// `ctx` must be the `ucontext_t` passed to a signal handler.
pub unsafe fn context_resume(ctx: *mut libc::c_void, pc: usize, sp: usize) {
    // SAFETY: the caller passes a valid, writable ucontext_t.
    unsafe {
        let uc = &mut *ctx.cast::<libc::ucontext_t>();
        uc.uc_mcontext.pc = pc as u64;
        uc.uc_mcontext.sp = sp as u64;
    }
}

/// The caller's frame pointer and return address saved in frame `fp`.
///
/// # Safety
///
/// `fp` must be a frame pointer of a live frame that saved its caller's.
pub unsafe fn frame_caller(fp: usize) -> (usize, usize) {
    // SAFETY: a frame record is (saved x29, saved x30).
    unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) }
}
