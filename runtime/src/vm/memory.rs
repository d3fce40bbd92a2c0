//! Linear memories: address space reserved up front (4 GiB plus a guard
//! region by default), of which only the current pages are accessible, so
//! the base never moves and out-of-bounds accesses fault in the guard.
//!
//! ```text
//!  base                      base + length     base + reservation      + guard
//!  |  readable, writable       |   PROT_NONE      |     PROT_NONE        |
//!  +---------------------------+------------------+----------------------+
//! ```

use super::Unowned;
use super::alloc::{Backing, MemoryImage, MemoryPool, ReservationCache};
use crate::sys::unix::mmap::Mmap;
use anyhow::{Result, bail};
use kiln_engine::{Config, MemoryType};

/// Bytes in a wasm page.
pub const WASM_PAGE: u64 = 65536;

/// Where compiled code finds a memory.
#[derive(Debug)]
#[repr(C)]
pub struct VMMemoryDefinition {
    /// Start of the memory.
    pub base: *mut u8,
    /// Current length in bytes.
    pub current_length: usize,
    /// Nonzero once the memory may have been written: set by compiled
    /// code on entry to a function that writes it, and by [`data_mut`]
    /// (every host and libcall write goes through it). A memory freed
    /// with it clear holds exactly what it held when allocated, so its
    /// slot or reservation needs no reset.
    ///
    /// [`data_mut`]: LinearMemory::data_mut
    pub written: u8,
}

/// A linear memory. The definition comes first: compiled code and the
/// `memory.grow` libcall treat a definition pointer as a pointer to this.
#[repr(C)]
pub struct LinearMemory {
    pub(crate) def: VMMemoryDefinition,
    backing: Backing,
    ty: MemoryType,
    /// The most pages this memory may ever have.
    max_pages: u64,
    /// The module image mapped over the memory, if any.
    image: Option<Unowned<MemoryImage>>,
}

// SAFETY: the memory is owned by one store at a time; the raw pointer in
// the definition points into `mmap`, which moves with it.
unsafe impl Send for LinearMemory {}

/// Checks that `ty` is supported and its minimum fits in `limit_pages`;
/// returns the most pages a memory of this type may have.
fn max_pages(ty: &MemoryType, limit_pages: u64, limit_name: &str) -> Result<u64> {
    if ty.is_64() || ty.is_shared() {
        bail!("64-bit and shared memories are not supported");
    }
    let max_pages = ty.maximum().unwrap_or(65536).min(65536).min(limit_pages);
    if ty.minimum() > max_pages {
        bail!(
            "memory minimum of {} pages exceeds {limit_name} of {max_pages} pages",
            ty.minimum()
        );
    }
    Ok(max_pages)
}

impl LinearMemory {
    /// Creates a memory of type `ty` at its minimum size in a mapping of
    /// its own (a reservation kept in `cache`, or a new one), with `image`
    /// (which must fit in the minimum size) mapped over it. When freed,
    /// the mapping goes back to `cache`.
    ///
    /// # Errors
    ///
    /// The type is not supported, its minimum exceeds what the
    /// configuration can hold, or address space is exhausted.
    pub fn new(
        ty: MemoryType,
        config: &Config,
        image: Option<Unowned<MemoryImage>>,
        cache: Option<Unowned<ReservationCache>>,
    ) -> Result<Box<LinearMemory>> {
        let reservation = config.get_memory_reservation().max(WASM_PAGE);
        let max_pages = max_pages(&ty, reservation / WASM_PAGE, "the limit")?;
        let guard = config.get_memory_guard_size();
        let length = (ty.minimum() * WASM_PAGE) as usize;
        let (mut mmap, accessible, image_mapped) = match cache {
            Some(cache) => cache.take(image.as_deref())?,
            None => (Mmap::reserve((reservation + guard) as usize)?, 0, false),
        };
        // A kept reservation's accessible part is fresh zero memory, or
        // the image still mapped; an image that covers the memory makes it
        // accessible by itself.
        let covered = image.as_ref().is_some_and(|i| i.covers(length));
        if accessible < length {
            if !covered {
                mmap.make_accessible(accessible, length - accessible)?;
            }
        } else if accessible > length {
            // SAFETY: the range is inside the mapping, which is ours.
            unsafe {
                super::alloc::protect(mmap.as_ptr().add(length), accessible - length, false)?;
            }
        }
        if let Some(image) = &image
            && !image_mapped
        {
            // SAFETY: the mapping's first `length` bytes, which contain the
            // image, are ours and hold nothing yet.
            unsafe { image.map_at(mmap.as_ptr())? };
        }
        Ok(Box::new(LinearMemory {
            def: VMMemoryDefinition {
                base: mmap.as_ptr(),
                current_length: length,
                written: 0,
            },
            backing: Backing::Owned(mmap, cache),
            ty,
            max_pages,
            image,
        }))
    }

    /// Creates a memory of type `ty` in a slot of `pool`, with `image`
    /// in place (mapped now, or still mapped from the slot's last use).
    ///
    /// # Errors
    ///
    /// The type is not supported, its minimum exceeds the pool's limit, or
    /// every slot is in use.
    pub fn new_pooled(
        ty: MemoryType,
        pool: Unowned<MemoryPool>,
        image: Option<Unowned<MemoryImage>>,
    ) -> Result<Box<LinearMemory>> {
        let max_pages = max_pages(&ty, pool.max_pages, "the pooling allocator's limit")?;
        let length = (ty.minimum() * WASM_PAGE) as usize;
        let (slot, base) = pool.allocate(length, image.as_deref())?;
        Ok(Box::new(LinearMemory {
            def: VMMemoryDefinition {
                base,
                current_length: length,
                written: 0,
            },
            backing: Backing::Pooled { pool, slot },
            ty,
            max_pages,
            image,
        }))
    }

    /// True if the module's data image is mapped over the memory, so its
    /// active data segments need no copying.
    pub fn has_image(&self) -> bool {
        self.image.is_some()
    }

    /// Grows by `delta` pages, returning the old size in pages, or `None`
    /// past the maximum (the memory is unchanged then).
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let old_len = self.def.current_length;
        let new_len = (new * WASM_PAGE) as usize;
        match &mut self.backing {
            Backing::Owned(mmap, _) => mmap.make_accessible(old_len, new_len - old_len).ok()?,
            // SAFETY: the slot is this memory's, and `new_len` is within
            // its reservation (`max_pages` is capped by it).
            Backing::Pooled { .. } => unsafe {
                super::alloc::protect(self.def.base.add(old_len), new_len - old_len, true).ok()?
            },
        }
        self.def.current_length = new_len;
        Some(old)
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        self.def.current_length as u64 / WASM_PAGE
    }

    /// The memory's type, with its current size as the minimum.
    pub fn ty(&self) -> MemoryType {
        let max = self.ty.maximum().map(|m| m as u32);
        MemoryType::new(self.pages() as u32, max)
    }

    /// The declared type.
    pub fn declared_ty(&self) -> MemoryType {
        self.ty
    }

    /// The contents.
    pub fn data(&self) -> &[u8] {
        // SAFETY: `[base, base + current_length)` is mapped readable.
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.current_length) }
    }

    /// The contents, writable; marks the memory written.
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.def.written = 1;
        // SAFETY: `[base, base + current_length)` is mapped writable, and
        // `&mut self` makes this the only access.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.current_length) }
    }

    /// The definition compiled code reads.
    pub fn definition(&mut self) -> *mut VMMemoryDefinition {
        &mut self.def
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        match &mut self.backing {
            Backing::Pooled { pool, slot } => {
                let (length, image) = (self.def.current_length, self.image.as_deref());
                pool.deallocate(*slot, length, image, self.def.written != 0);
            }
            Backing::Owned(mmap, Some(cache)) => {
                let mmap = std::mem::replace(mmap, Mmap::empty());
                let (length, image) = (self.def.current_length, self.image.as_deref());
                cache.give(mmap, length, image, self.def.written != 0);
            }
            Backing::Owned(_, None) => {}
        }
    }
}
