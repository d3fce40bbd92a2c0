//! Private mappings of files: precompiled modules are read, and their code
//! executed, straight from the page cache.

use std::os::fd::AsRawFd;

/// A private mapping of part of a file, unmapped on drop. The file may be
/// closed meanwhile; the mapping keeps its pages.
pub(crate) struct FileMapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is owned, and only ever read (or executed) through
// shared references.
unsafe impl Send for FileMapping {}
// SAFETY: as above.
unsafe impl Sync for FileMapping {}

impl FileMapping {
    /// Maps `len` (non-zero) bytes of `file` from `offset` (page-aligned)
    /// with protection `prot`; `populate` maps every page now.
    pub(crate) fn new(
        file: &std::fs::File,
        offset: u64,
        len: usize,
        prot: libc::c_int,
        populate: bool,
    ) -> std::io::Result<FileMapping> {
        let flags = libc::MAP_PRIVATE | if populate { libc::MAP_POPULATE } else { 0 };
        let offset = libc::off_t::try_from(offset).map_err(std::io::Error::other)?;
        // SAFETY: a new mapping of a file we hold open, at an address of
        // the kernel's choosing, replacing nothing; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                flags,
                file.as_raw_fd(),
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileMapping {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The first byte.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// The mapped bytes (the mapping must be readable).
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` bytes until `drop`, and they are never
        // written through this mapping; the file must not change meanwhile
        // (the contract of `Module::deserialize_file`).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for FileMapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `new`, once; its
        // owner (and so anything that used it) is gone.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
