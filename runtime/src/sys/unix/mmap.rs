//! Anonymous memory mappings: reserve address space inaccessible, then make
//! a prefix readable and writable as a linear memory grows.

use anyhow::{Result, bail};
use std::io;

/// An owned anonymous mapping, unmapped on drop.
pub struct Mmap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value.
unsafe impl Send for Mmap {}
// SAFETY: shared references only expose the address.
unsafe impl Sync for Mmap {}

/// The host page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl Mmap {
    /// A mapping of nothing.
    pub fn empty() -> Mmap {
        Mmap {
            ptr: std::ptr::NonNull::dangling().as_ptr(),
            len: 0,
        }
    }

    /// Reserves `len` bytes of address space with no access.
    ///
    /// # Errors
    ///
    /// The address space is exhausted.
    pub fn reserve(len: usize) -> Result<Mmap> {
        Mmap::anonymous(len, libc::PROT_NONE)
    }

    /// Maps `len` bytes of fresh zero memory, readable and writable
    /// (pages are committed as they are written).
    ///
    /// # Errors
    ///
    /// The address space is exhausted.
    pub fn zeroed(len: usize) -> Result<Mmap> {
        Mmap::anonymous(len, libc::PROT_READ | libc::PROT_WRITE)
    }

    fn anonymous(len: usize, prot: libc::c_int) -> Result<Mmap> {
        if len == 0 {
            return Ok(Mmap::empty());
        }
        // SAFETY: a fresh anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "failed to map {len} bytes of address space: {}",
                io::Error::last_os_error()
            );
        }
        Ok(Mmap {
            ptr: ptr.cast(),
            len,
        })
    }

    /// Splits the mapping into mappings of `piece` bytes each (the last
    /// one takes what remains), each unmapped on its own when dropped.
    pub fn split(self, piece: usize) -> Vec<Mmap> {
        let this = std::mem::ManuallyDrop::new(self);
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < this.len {
            let len = piece.max(1).min(this.len - at);
            pieces.push(Mmap {
                // SAFETY: `at` is inside the mapping.
                ptr: unsafe { this.ptr.add(at) },
                len,
            });
            at += len;
        }
        pieces
    }

    /// Makes `[start, start + len)` readable and writable.
    ///
    /// # Errors
    ///
    /// The range is outside the mapping, or the kernel refuses.
    pub fn make_accessible(&mut self, start: usize, len: usize) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        if start.checked_add(len).is_none_or(|end| end > self.len) {
            bail!("range outside of the mapping");
        }
        // SAFETY: the range lies within our own mapping.
        let r = unsafe {
            libc::mprotect(
                self.ptr.add(start).cast(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if r != 0 {
            bail!("mprotect failed: {}", io::Error::last_os_error());
        }
        Ok(())
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a mapping of nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the mapping.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: we own the mapping and nothing refers to it any more.
            unsafe { libc::munmap(self.ptr.cast(), self.len) };
        }
    }
}

/// Drops the pages of `[ptr, ptr + len)` (page-aligned) with
/// `madvise(MADV_DONTNEED)`: anonymous pages read as zero afterwards and
/// private file pages as the file's contents. Returns false, having done
/// nothing, where that cannot be relied on, so that the caller resets the
/// memory another way: `madvise` failed, or it is known to do nothing here
/// (user-mode emulators such as qemu 7 accept the call and ignore it).
///
/// # Safety
///
/// The range must be inside a private mapping the caller owns, and no one
/// may rely on its contents.
pub unsafe fn discard(ptr: *mut u8, len: usize) -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*WORKS.get_or_init(discard_zeroes) {
        return false;
    }
    // SAFETY: the caller's contract.
    unsafe { libc::madvise(ptr.cast(), len, libc::MADV_DONTNEED) == 0 }
}

/// Whether `MADV_DONTNEED` really drops pages: writes a page, discards it
/// and looks.
fn discard_zeroes() -> bool {
    let Ok(map) = Mmap::zeroed(page_size()) else {
        return false;
    };
    let p = map.as_ptr();
    // SAFETY: `p` is the start of the fresh, writable, private mapping
    // `map`, which nothing else uses; volatile so the write and the read
    // around the call are not optimized away.
    unsafe {
        p.write_volatile(1);
        libc::madvise(p.cast(), map.len(), libc::MADV_DONTNEED) == 0 && p.read_volatile() == 0
    }
}
