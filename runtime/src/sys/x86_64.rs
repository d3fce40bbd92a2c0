//! x86-64: the entry trampoline into wasm, the trap landing pad, and access
//! to the registers of a signal context.
//!
//! `kiln_enter_wasm(sp_slot, trampoline, callee, vmctx, caller_vmctx, values)`
//! saves the callee-saved registers, records its stack pointer in
//! `*sp_slot` and calls `trampoline(callee, vmctx, caller_vmctx, values)`,
//! returning 0. A trap resumes at
//! `kiln_trap_landing` with the stack pointer set back to the recorded
//! value; the landing pad restores the registers and returns 1 from
//! `kiln_enter_wasm`. No `setjmp` per call.

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl kiln_enter_wasm",
    ".hidden kiln_enter_wasm",
    ".type kiln_enter_wasm,@function",
    "kiln_enter_wasm:",
    "push rbp",
    "mov rbp, rsp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "mov [rdi], rsp",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov rcx, r9",
    "call rax",
    "xor eax, eax",
    "2:",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".globl kiln_trap_landing",
    ".hidden kiln_trap_landing",
    "kiln_trap_landing:",
    "mov eax, 1",
    "jmp 2b",
    ".size kiln_enter_wasm, .-kiln_enter_wasm",
    "",
    ".p2align 4",
    ".globl kiln_raise_trap",
    ".hidden kiln_raise_trap",
    ".type kiln_raise_trap,@function",
    "kiln_raise_trap:",
    "mov rsp, rdi",
    "jmp kiln_trap_landing",
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
        (
            uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
            uc.uc_mcontext.gregs[libc::REG_RBP as usize] as usize,
        )
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
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] = pc as i64;
        uc.uc_mcontext.gregs[libc::REG_RSP as usize] = sp as i64;
    }
}

/// The caller's frame pointer and return address saved in frame `fp`.
///
/// # Safety
///
/// `fp` must be a frame pointer of a live frame that saved its caller's.
pub unsafe fn frame_caller(fp: usize) -> (usize, usize) {
    // SAFETY: a frame starts with the saved frame pointer then the return address.
    unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) }
}
