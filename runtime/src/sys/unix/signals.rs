//! Signal handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE, installed once
//! per process, running on a per-thread alternate stack.
//!
//! A fault whose program counter is a trap site of wasm code running on this
//! thread is turned into a trap: the handler records it in the thread's
//! innermost activation and resumes at the entry trampoline's landing pad.
//! Any other fault goes to the handler that was installed before ours (or
//! the default action), so Kiln never swallows the host's own crashes.
//!
//! The handler neither allocates nor locks: it reads a thread-local pointer
//! and immutable code tables.

use crate::vm::traphandlers;
use std::cell::RefCell;
use std::sync::Once;

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The handlers ours replaced, indexed like `SIGNALS`. Written once, before
/// our handlers are installed, then only read.
static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 4] =
    [std::mem::MaybeUninit::uninit(); 4];

static INSTALL: Once = Once::new();

/// Installs the handlers (once per process) and this thread's alternate
/// signal stack (once per thread).
pub fn init() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: `PREVIOUS[i]` is written before any handler of ours
            // can run, under the `Once`; sigaction is given valid pointers.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let prev = &raw mut PREVIOUS[i];
                if libc::sigaction(sig, &action, (*prev).as_mut_ptr()) != 0 {
                    panic!(
                        "failed to install the handler for signal {sig}: {}",
                        std::io::Error::last_os_error()
                    );
                }
            }
        }
    });
    ALT_STACK.with(|s| {
        if s.borrow().is_none() {
            *s.borrow_mut() = AltStack::install();
        }
    });
}

unsafe extern "C" fn handler(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid context to an SA_SIGINFO handler.
    let (pc, fp) = unsafe { crate::sys::arch::context_pc_fp(ctx) };
    // SAFETY: called on the faulting thread; it only reads thread-local
    // state and immutable code tables.
    if let Some(resume_sp) = unsafe { traphandlers::trap_from_signal(pc, fp) } {
        // SAFETY: `ctx` is the signal context; resuming at the landing pad
        // with the entry's stack pointer returns from `kiln_enter_wasm`.
        unsafe {
            crate::sys::arch::context_resume(ctx, traphandlers::landing_pad(), resume_sp);
        }
        return;
    }
    // Not ours: hand over to whoever was there before.
    let i = SIGNALS
        .iter()
        .position(|&s| s == signum)
        .expect("our signal");
    // SAFETY: `PREVIOUS` was fully written before our handler was installed.
    unsafe {
        let prev = (&raw const PREVIOUS[i])
            .cast::<libc::sigaction>()
            .as_ref()
            .expect("non-null");
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f: unsafe extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(prev.sa_sigaction);
            f(signum, info, ctx);
        } else if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
            // Restore the previous disposition and return: the faulting
            // instruction runs again and gets the default action.
            libc::sigaction(signum, prev, std::ptr::null_mut());
        } else {
            let f: unsafe extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
            f(signum);
        }
    }
}

thread_local! {
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
}

/// An alternate signal stack of ours, with a guard page below it.
struct AltStack {
    mmap: crate::sys::unix::mmap::Mmap,
}

/// 64 pages: the handler is small, but a chained handler may not be.
const ALT_STACK_SIZE: usize = 64 * 4096;

impl AltStack {
    /// Installs an alternate stack unless the thread already has one that
    /// is large enough.
    fn install() -> Option<AltStack> {
        // SAFETY: querying the current alternate stack.
        unsafe {
            let mut old: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut old);
            if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALT_STACK_SIZE {
                return None;
            }
        }
        let page = crate::sys::unix::mmap::page_size();
        let mut mmap = crate::sys::unix::mmap::Mmap::reserve(ALT_STACK_SIZE + page)
            .expect("reserving the alternate signal stack");
        mmap.make_accessible(page, ALT_STACK_SIZE)
            .expect("mapping the alternate signal stack");
        // SAFETY: the stack memory is ours and lives as long as the thread
        // (it is disabled again before being unmapped).
        unsafe {
            let stack = libc::stack_t {
                ss_sp: mmap.as_ptr().add(page).cast(),
                ss_flags: 0,
                ss_size: ALT_STACK_SIZE,
            };
            if libc::sigaltstack(&stack, std::ptr::null_mut()) != 0 {
                panic!("sigaltstack failed: {}", std::io::Error::last_os_error());
            }
        }
        Some(AltStack { mmap })
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: disabling our own alternate stack before unmapping it.
        unsafe {
            let stack = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: ALT_STACK_SIZE,
            };
            libc::sigaltstack(&stack, std::ptr::null_mut());
        }
        let _ = &self.mmap;
    }
}
