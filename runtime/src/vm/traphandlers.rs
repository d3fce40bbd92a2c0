//! Entering wasm and leaving it by a trap.
//!
//! Each host-to-wasm call pushes an `Activation` onto a thread-local
//! list and enters through `kiln_enter_wasm`, which records its stack
//! pointer. A trap — a fault the signal handler recognizes, or an error a
//! host function or libcall raises — stores its reason in the innermost
//! activation and resumes at the entry's landing pad, so nested calls
//! (wasm -> host -> wasm) unwind to the right frame.

use super::{VMStoreContext, ValRaw};
use kiln_engine::{CodeImage, TrapCode};
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::mem::MaybeUninit;

/// Why wasm stopped abnormally.
pub enum TrapReason {
    /// A trap in compiled code.
    Wasm {
        /// The trap.
        code: TrapCode,
        /// Program counters of the wasm frames, innermost first: the
        /// trapping instruction, then each call site.
        pcs: Vec<usize>,
    },
    /// A host function returned an error.
    Host(anyhow::Error),
    /// A host function panicked; the panic resumes in the caller.
    Panic(Box<dyn Any + Send>),
}

/// Finds the code image containing a program counter, without allocating
/// or locking (it is called from the signal handler).
pub trait CodeLookup {
    /// The image containing `pc`, if any.
    fn lookup_code(&self, pc: usize) -> Option<&CodeImage>;
}

/// Most wasm frames a trap's backtrace records (the innermost ones).
pub const MAX_FRAMES: usize = 128;

/// One host-to-wasm entry on this thread's stack.
#[repr(C)]
struct Activation {
    /// Written by `kiln_enter_wasm`; must stay first.
    entry_sp: UnsafeCell<usize>,
    prev: *const Activation,
    code: *const dyn CodeLookup,
    reason: UnsafeCell<Option<TrapReason>>,
    /// A trap taken by the signal handler, which may not allocate: its
    /// code and the program counters of its frames, walked before the
    /// stack is unwound.
    signal_trap: UnsafeCell<Option<TrapCode>>,
    num_pcs: UnsafeCell<usize>,
    pcs: UnsafeCell<[MaybeUninit<usize>; MAX_FRAMES]>,
}

/// This thread's wasm state, in one thread-local so a call reaches it
/// with one TLS lookup (in a shared library each costs a
/// `__tls_get_addr` call).
struct ThreadState {
    /// The innermost activation.
    current: Cell<*const Activation>,
    /// Lowest usable address of this thread's stack (0 if unknown); set
    /// with `ready`.
    stack_low: Cell<usize>,
    /// The signal handlers and this thread's alternate signal stack are
    /// in place, and `stack_low` is known.
    ready: Cell<bool>,
}

thread_local! {
    static THREAD: ThreadState = const {
        ThreadState {
            current: Cell::new(std::ptr::null()),
            stack_low: Cell::new(0),
            ready: Cell::new(false),
        }
    };
}

/// This thread's state. The pointer stays valid while the thread runs,
/// and is only used on this thread.
#[inline]
fn thread_state() -> *const ThreadState {
    THREAD.with(|t| t as *const ThreadState)
}

/// The innermost activation of this thread.
fn current() -> *const Activation {
    THREAD.with(|t| t.current.get())
}

unsafe extern "C" {
    fn kiln_enter_wasm(
        sp_slot: *mut usize,
        trampoline: *const u8,
        callee: *const u8,
        vmctx: *mut u8,
        caller_vmctx: *mut u8,
        values: *mut ValRaw,
    ) -> u32;
    fn kiln_raise_trap(sp: usize) -> !;
    fn kiln_trap_landing();
}

/// Address where a trapping thread resumes.
pub fn landing_pad() -> usize {
    kiln_trap_landing as *const () as usize
}

/// Stack kept free for the host below the wasm stack limit.
const HOST_STACK_MARGIN: usize = 64 * 1024;

/// Installs the signal handlers (and this thread's alternate signal
/// stack) and finds this thread's stack bounds: the first entry on a
/// thread does this once.
#[cold]
#[inline(never)]
fn prepare_thread(thread: &ThreadState) {
    crate::sys::unix::signals::init();
    thread.stack_low.set(thread_stack_low().unwrap_or(0));
    thread.ready.set(true);
}

fn thread_stack_low() -> Option<usize> {
    // SAFETY: querying this thread's attributes into locals we own.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (r == 0).then_some(addr as usize)
    }
}

/// Calls `trampoline(callee, vmctx, caller_vmctx, values)` with traps caught.
///
/// # Safety
///
/// `trampoline` must be the array trampoline for `callee`'s type, `vmctx`,
/// `caller_vmctx` (an instance's VMContext) and `values` valid for it, `store_ctx` the store context the callee's
/// instance uses, and `code` must cover all wasm code that can run.
#[allow(clippy::too_many_arguments, reason = "mirrors the trampoline's ABI")]
#[inline(always)]
pub unsafe fn enter(
    code: *const dyn CodeLookup,
    store_ctx: *mut VMStoreContext,
    max_wasm_stack: usize,
    trampoline: *const u8,
    callee: *const u8,
    vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
) -> Result<(), TrapReason> {
    // SAFETY: the store context outlives the call (caller's contract).
    let ctx = unsafe { &mut *store_ctx };
    // SAFETY: this thread's state, used on this thread within this call.
    let thread = unsafe { &*thread_state() };
    let outermost = ctx.stack_limit == usize::MAX;
    if outermost {
        // Nested entries run on a thread an outer entry already set up.
        if !thread.ready.get() {
            prepare_thread(thread);
        }
        let here = &ctx as *const _ as usize;
        let floor = thread.stack_low.get().saturating_add(HOST_STACK_MARGIN);
        ctx.stack_limit = here.saturating_sub(max_wasm_stack).max(floor);
    }
    let activation = Activation {
        entry_sp: UnsafeCell::new(0),
        prev: thread.current.get(),
        code,
        reason: UnsafeCell::new(None),
        signal_trap: UnsafeCell::new(None),
        num_pcs: UnsafeCell::new(0),
        pcs: UnsafeCell::new([MaybeUninit::uninit(); MAX_FRAMES]),
    };
    thread.current.set(&activation);
    // SAFETY: the caller guarantees the trampoline and its arguments; a
    // trap returns here through the landing pad with registers restored.
    let r = unsafe {
        kiln_enter_wasm(
            activation.entry_sp.get(),
            trampoline,
            callee,
            vmctx,
            caller_vmctx,
            values,
        )
    };
    thread.current.set(activation.prev);
    if outermost {
        // SAFETY: as above.
        unsafe { (*store_ctx).stack_limit = usize::MAX };
    }
    if r == 0 {
        // No trap, so no reason to drop: skip the destructor.
        std::mem::forget(activation);
        return Ok(());
    }
    Err(trap_reason(activation))
}

/// The reason a trap recorded in `activation`.
#[cold]
#[inline(never)]
fn trap_reason(activation: Activation) -> TrapReason {
    if let Some(code) = activation.signal_trap.into_inner() {
        let n = activation.num_pcs.into_inner();
        let pcs = activation.pcs.into_inner();
        // SAFETY: the handler initialized the first `n` entries.
        let pcs = pcs[..n]
            .iter()
            .map(|pc| unsafe { pc.assume_init() })
            .collect();
        return TrapReason::Wasm { code, pcs };
    }
    activation
        .reason
        .into_inner()
        .expect("a trap records its reason")
}

/// Records `reason` in the innermost activation and unwinds to it.
///
/// # Safety
///
/// Must be called from host code that wasm called (a host function or a
/// libcall) with nothing left to drop in the frames between this call and
/// the wasm entry: they are discarded without running destructors.
pub unsafe fn raise(reason: TrapReason) -> ! {
    let activation = current();
    assert!(!activation.is_null(), "raise outside of wasm");
    // SAFETY: the activation is live (it is on this thread's list) and
    // nothing else accesses its reason while wasm runs.
    unsafe {
        *(*activation).reason.get() = Some(reason);
        kiln_raise_trap(*(*activation).entry_sp.get())
    }
}

/// Called by the signal handler: if `pc` is a trap site of wasm code
/// entered on this thread, records the trap and returns the stack pointer
/// to resume at the landing pad with.
///
/// # Safety
///
/// Must be called on the faulting thread, from the signal handler.
pub unsafe fn trap_from_signal(pc: usize, fp: usize) -> Option<usize> {
    let activation = current();
    if activation.is_null() {
        return None;
    }
    // SAFETY: a non-null activation on this thread's list is live.
    let activation = unsafe { &*activation };
    // SAFETY: the code lookup outlives the activation.
    let code = unsafe { &*activation.code }.lookup_code(pc)?;
    let Some(trap) = code.trap_at(pc) else {
        if code.contains_func_code(pc) {
            // A fault in wasm code with no trap-table entry is a bug in Kiln.
            let msg = b"kiln: fatal: unexpected fault in compiled wasm code\n";
            // SAFETY: writing a static buffer to stderr, then aborting;
            // both are async-signal-safe.
            unsafe {
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::abort();
            }
        }
        return None;
    };
    // Walk the wasm frames now: once unwound, their memory is reused.
    // Wasm code keeps frame pointers, and a trap site is past the prologue.
    // SAFETY: nothing else touches these fields while wasm runs; writing
    // plain values frees nothing.
    unsafe {
        let pcs = &mut *activation.pcs.get();
        let lookup = &*activation.code;
        let (mut pc, mut fp) = (pc, fp);
        let mut n = 0;
        while n < MAX_FRAMES {
            pcs[n].write(pc);
            n += 1;
            let (caller_fp, return_addr) = crate::sys::arch::frame_caller(fp);
            // The return address follows the call; look up the call itself.
            let call = return_addr.wrapping_sub(1);
            match lookup.lookup_code(call) {
                Some(code) if code.contains_func_code(call) => {}
                _ => break,
            }
            pc = call;
            fp = caller_fp;
        }
        *activation.num_pcs.get() = n;
        *activation.signal_trap.get() = Some(trap);
        Some(*activation.entry_sp.get())
    }
}
