//! aarch64: the instruction cache is not coherent with data writes, so code
//! written through a data mapping must be cleaned from the data cache to
//! the point of unification and invalidated in the instruction cache (as
//! `__clear_cache` does) before it runs; other cores must also discard any
//! instructions they fetched ahead, which `membarrier` asks the kernel to
//! do.

use std::sync::OnceLock;

/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE` and its registration, from
/// `linux/membarrier.h`.
const MEMBARRIER_SYNC_CORE: libc::c_long = 1 << 5;
const MEMBARRIER_REGISTER_SYNC_CORE: libc::c_long = 1 << 6;

/// Makes the code just written at `start..start + len` visible to
/// instruction fetch on every core.
pub(crate) fn flush_icache(start: *const u8, len: usize) {
    if len == 0 {
        return;
    }
    let ctr: u64;
    // SAFETY: reading CTR_EL0 has no side effects; Linux lets user space
    // read it (or emulates the read).
    unsafe { std::arch::asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    let begin = start as usize;
    let end = begin + len;
    // CTR_EL0.IDC: the data cache need not be cleaned for coherence.
    if ctr & (1 << 28) == 0 {
        let line = 4usize << ((ctr >> 16) & 0xf);
        let mut at = begin & !(line - 1);
        while at < end {
            // SAFETY: `dc cvau` cleans the line holding `at`, an address of
            // the caller's mapped code; it changes no memory contents.
            unsafe { std::arch::asm!("dc cvau, {}", in(reg) at, options(nostack)) };
            at += line;
        }
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { std::arch::asm!("dsb ish", options(nostack)) };
    // CTR_EL0.DIC: the instruction cache need not be invalidated.
    if ctr & (1 << 29) == 0 {
        let line = 4usize << (ctr & 0xf);
        let mut at = begin & !(line - 1);
        while at < end {
            // SAFETY: `ic ivau` invalidates instruction-cache lines for a
            // mapped address; it changes no memory contents.
            unsafe { std::arch::asm!("ic ivau, {}", in(reg) at, options(nostack)) };
            at += line;
        }
        // SAFETY: as above.
        unsafe { std::arch::asm!("dsb ish", options(nostack)) };
    }
    // SAFETY: `isb` only flushes this core's pipeline.
    unsafe { std::arch::asm!("isb", options(nostack)) };
    sync_other_cores();
}

/// Makes every other thread of the process discard instructions it may
/// have fetched ahead from the new code's addresses (reused memory can hold
/// old code). Best effort: kernels before 4.16 (and emulators) lack the
/// command, and there the other threads' next context switch does it.
fn sync_other_cores() {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        // SAFETY: membarrier takes (command, flags, cpu id) and reads no
        // memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_REGISTER_SYNC_CORE, 0, 0) == 0 }
    });
    if registered {
        // SAFETY: as above; the process registered for this command.
        unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_SYNC_CORE, 0, 0) };
    }
}
