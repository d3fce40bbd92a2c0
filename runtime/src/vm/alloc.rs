//! Instance allocation: where memories come from.
//!
//! * [`MemoryImage`]: a module's active data segments, laid out page by
//!   page in a memfd, mapped copy-on-write over a new memory instead of
//!   copying the bytes.
//! * [`InstanceAllocator`]: the trait of [`OnDemandAllocator`] (a
//!   mapping per memory) and [`PoolingAllocator`] (slots reserved once per
//!   engine, reset and reused). The engine's allocator is created on first
//!   use from its `Config`.

use super::Unowned;
use super::memory::{LinearMemory, WASM_PAGE};
use super::table::TableData;
use crate::sys::unix::mmap::{self, Mmap};
use anyhow::{Result, bail};
use kiln_engine::{
    DataBytes, Engine, ImageLayout, InstanceAllocationStrategy, MemoryType, Module,
    PoolingAllocationConfig, TableType,
};
use std::io;
use std::ops::Range;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

static NEXT_IMAGE_ID: AtomicU64 = AtomicU64::new(1);

/// Memories up to this size are covered whole by their image's mapping,
/// which then also makes them accessible (one system call, not two).
const COVERED_MEMORY: usize = 16 << 20;

/// The initial contents of a module's memory 0, in a file that memories
/// map privately (copy-on-write).
///
/// Usually a memfd, zero (sparse) outside the data, mapped at the memory's
/// base and covering the whole initial memory when that is at most
/// `COVERED_MEMORY`. For a module loaded from a precompiled file whose
/// data holds the image page-aligned, that file itself, mapped at the
/// image's offset: nothing is copied.
pub struct MemoryImage {
    /// Distinguishes images, so a pooled slot knows what it has mapped.
    pub id: u64,
    source: ImageSource,
    /// Length of the mapping (page-aligned, non-zero).
    pub map_len: usize,
    /// Where the data starts in the memory (page-aligned).
    pub offset: usize,
}

/// The file a [`MemoryImage`] is mapped from, and its bytes.
enum ImageSource {
    /// A memfd holding the memory from byte 0, and the image's bytes (from
    /// `offset`), for restoring written pages by copying.
    Memfd(OwnedFd, Box<[u8]>),
    /// The precompiled module's file, kept open by its data, which starts
    /// with the image (from `offset`) at a page-aligned file offset.
    Module(Arc<DataBytes>),
}

impl MemoryImage {
    /// The image of `module`'s memory, if one applies: memory 0 is
    /// defined by the module, every active data segment targets it at a
    /// constant offset and fits in its minimum size (so instantiation
    /// cannot trap on data), and there is at least one byte of data.
    /// Computed once per module and cached.
    pub fn of(module: &Module) -> Option<&MemoryImage> {
        if !module.engine().config().get_memory_init_cow() {
            return None;
        }
        // On a cache line of its own, like the engine's allocator: every
        // instantiation and every reset reads it, from every thread.
        let cached = module.runtime_cache().get_or_init(|| {
            let image = MemoryImage::build(module).ok().flatten();
            Box::new(CacheLine(image))
        });
        cached
            .downcast_ref::<CacheLine<Option<MemoryImage>>>()
            .expect("the module cache holds the memory image")
            .as_ref()
    }

    fn build(module: &Module) -> Result<Option<MemoryImage>> {
        let info = module.info();
        let Some(segments) = info.image_segments() else {
            return Ok(None);
        };
        let page = mmap::page_size();
        let Some(layout) = ImageLayout::covering(info, &segments, page) else {
            return Ok(None);
        };
        let (offset, len) = (layout.memory_offset, layout.len);
        let data = module.data_bytes();
        // A precompiled file's data begins with this very image, at a
        // page-aligned place in the file: map that.
        if module.image_layout() == Some(layout)
            && let Some((_, file_offset)) = data.file()
            && file_offset.is_multiple_of(page as u64)
        {
            return Ok(Some(MemoryImage {
                id: NEXT_IMAGE_ID.fetch_add(1, Ordering::Relaxed),
                source: ImageSource::Module(data.clone()),
                map_len: len,
                offset,
            }));
        }
        let mut bytes = vec![0u8; len].into_boxed_slice();
        module.write_image(&segments, &mut bytes, offset);
        // SAFETY: `memfd_create` with a NUL-terminated name has no other
        // preconditions.
        let fd = unsafe { libc::memfd_create(c"kiln-memory-image".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            bail!("memfd_create failed: {}", io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let file = std::fs::File::from(fd);
        let min_len = info.memories[0].minimum().saturating_mul(WASM_PAGE) as usize;
        let map_len = if min_len <= COVERED_MEMORY {
            min_len
        } else {
            offset + len
        };
        file.set_len(map_len as u64)?;
        std::os::unix::fs::FileExt::write_all_at(&file, &bytes, offset as u64)?;
        Ok(Some(MemoryImage {
            id: NEXT_IMAGE_ID.fetch_add(1, Ordering::Relaxed),
            source: ImageSource::Memfd(file.into(), bytes),
            map_len,
            offset,
        }))
    }

    /// The image's bytes, which memory holds from `offset` on.
    fn bytes(&self) -> &[u8] {
        match &self.source {
            ImageSource::Memfd(_, bytes) => bytes,
            ImageSource::Module(data) => &data[..self.map_len],
        }
    }

    /// Where the mapping starts in the memory, and in the file.
    fn map_start(&self) -> (usize, u64) {
        match &self.source {
            ImageSource::Memfd(..) => (0, 0),
            ImageSource::Module(data) => (self.offset, data.file().expect("a file's data").1),
        }
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        match &self.source {
            ImageSource::Memfd(fd, _) => fd.as_raw_fd(),
            ImageSource::Module(data) => data.file().expect("a file's data").0.as_raw_fd(),
        }
    }

    /// True if mapping the image makes a memory of `length` bytes wholly
    /// accessible.
    pub fn covers(&self, length: usize) -> bool {
        matches!(self.source, ImageSource::Memfd(..)) && self.map_len >= length
    }

    /// Maps the image copy-on-write into the memory at `base`, readable
    /// and writable.
    ///
    /// # Safety
    ///
    /// The image's range of the memory at `base` (from 0 or `offset`,
    /// `map_len` bytes) must lie in a mapping the caller owns, inside the
    /// memory's initial size, with nothing referring to its current
    /// contents.
    pub unsafe fn map_at(&self, base: *mut u8) -> Result<()> {
        let (map_start, file_offset) = self.map_start();
        // SAFETY: the caller owns the range; MAP_FIXED replaces it. The
        // file offset is page-aligned and the file holds `map_len` bytes
        // there (checked when the image was made).
        let r = unsafe {
            libc::mmap(
                base.add(map_start).cast(),
                self.map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.raw_fd(),
                file_offset as libc::off_t,
            )
        };
        if r == libc::MAP_FAILED {
            bail!(
                "mapping the memory image failed: {}",
                io::Error::last_os_error()
            );
        }
        Ok(())
    }
}

/// Where a memory's address space came from.
pub enum Backing {
    /// Its own mapping, returned to `cache` (if any) for reuse when freed.
    Owned(Mmap, Option<Unowned<ReservationCache>>),
    /// A slot of the engine's pool.
    Pooled {
        /// The pool.
        pool: Unowned<MemoryPool>,
        /// The slot's index.
        slot: usize,
    },
}

/// How many freed reservations an on-demand allocator keeps for reuse. A
/// kept reservation costs address space (a few GiB of the 128 TiB a
/// process has) and at most the pooling allocator's default
/// `linear_memory_keep_resident` of memory (64 KiB: about 16 MiB over all
/// kept reservations), so enough are kept for a host with a few hundred
/// instances live at once to reuse them all, and never map an image twice.
const RESERVATIONS_KEPT: usize = 256;

/// Address-space reservations of freed on-demand memories, kept for the
/// next memories: reusing one saves mapping and unmapping the reservation
/// (several GiB of address space). A kept reservation's first
/// `accessible` bytes are readable and writable and read as zero, or as a
/// memory image that is still mapped there (copy-on-write), which spares
/// the next memory of the same module mapping it again; the rest is
/// inaccessible. What a memory wrote is reset as in a pooled slot: up to
/// `keep_resident` bytes of written pages copied back (and kept), more
/// given back to the kernel.
///
/// New reservations are made `RESERVATION_BATCH` at a time, with one
/// system call, and handed out one by one.
pub struct ReservationCache {
    /// Bytes per reservation.
    size: usize,
    /// Bytes of written pages reset by copying (see `reset_written`).
    keep_resident: usize,
    free: Mutex<Vec<Kept>>,
}

/// A kept reservation.
struct Kept {
    mmap: Mmap,
    /// Bytes readable and writable from the start.
    accessible: usize,
    /// The [`MemoryImage::id`] of the image mapped at the start, if any.
    image: Option<u64>,
}

/// How many reservations are made at once.
const RESERVATION_BATCH: usize = 8;

impl ReservationCache {
    fn new(config: &kiln_engine::Config) -> ReservationCache {
        let page = mmap::page_size() as u64;
        let reservation = config.get_memory_reservation().max(WASM_PAGE);
        let size = (reservation + config.get_memory_guard_size()).div_ceil(page) * page;
        ReservationCache {
            size: size as usize,
            keep_resident: PoolingAllocationConfig::default().get_linear_memory_keep_resident(),
            free: Mutex::new(Vec::new()),
        }
    }

    /// A reservation of the configured size (memory reservation plus
    /// guard) for a memory whose initial contents are `image`, how many
    /// of its first bytes are accessible, and whether `image` is mapped
    /// there already (else those bytes are zero). One that has `image`
    /// mapped is preferred, then one with no image.
    ///
    /// # Errors
    ///
    /// The address space is exhausted, or resetting a kept reservation
    /// failed.
    pub fn take(&self, image: Option<&MemoryImage>) -> Result<(Mmap, usize, bool)> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let want = image.map(|i| i.id);
        let found = want
            .and_then(|id| free.iter().rposition(|k| k.image == Some(id)))
            .or_else(|| free.iter().rposition(|k| k.image.is_none()));
        if let Some(i) = found {
            let kept = free.swap_remove(i);
            let mapped = kept.image.is_some();
            return Ok((kept.mmap, kept.accessible, mapped));
        }
        if let Some(kept) = free.pop() {
            drop(free);
            // Another module's image: back to fresh zero pages.
            // SAFETY: the range is inside the kept mapping, which nothing
            // refers to.
            unsafe { remap_anonymous(kept.mmap.as_ptr(), kept.accessible, true)? };
            return Ok((kept.mmap, kept.accessible, false));
        }
        drop(free);
        // A batch, or one reservation if the batch does not fit.
        let batch = self
            .size
            .checked_mul(RESERVATION_BATCH)
            .and_then(|len| Mmap::reserve(len).ok());
        let batch = match batch {
            Some(batch) => batch,
            None => Mmap::reserve(self.size)?,
        };
        let mut pieces = batch.split(self.size);
        let first = pieces.pop().expect("at least one reservation");
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.extend(pieces.into_iter().map(|mmap| Kept {
            mmap,
            accessible: 0,
            image: None,
        }));
        Ok((first, 0, false))
    }

    /// Keeps `mmap`, whose first `accessible` bytes a memory with initial
    /// contents `image` used, with its written pages reset (back to zero,
    /// or to the image, which stays mapped) by `reset_written`; or unmaps
    /// it when enough are kept already or the reset fails. A memory nobody
    /// `written` needs no reset.
    pub fn give(&self, mmap: Mmap, accessible: usize, image: Option<&MemoryImage>, written: bool) {
        if self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
            >= RESERVATIONS_KEPT + RESERVATION_BATCH
        {
            // Enough kept: unmapped as it drops.
            return;
        }
        let (ptr, len) = (mmap.as_ptr(), accessible);
        // Unwritten, the memory still holds what it was given (zero or
        // the image): nothing to reset.
        // SAFETY: the range is inside the mapping, readable and writable,
        // with `image` mapped at its start if given, and nothing refers to
        // it any more.
        let reset = !written || unsafe { reset_written(ptr, len, image, self.keep_resident) };
        let image = if reset {
            // Back to zeroes with the image, which stays mapped, over them.
            image.map(|i| i.id)
        // SAFETY: as above; the range becomes fresh zero pages.
        } else if unsafe { remap_anonymous(ptr, len, true) }.is_ok() {
            None
        } else {
            return;
        };
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < RESERVATIONS_KEPT + RESERVATION_BATCH {
            free.push(Kept {
                mmap,
                accessible,
                image,
            });
        }
    }
}

/// Where an engine's instances get their memories and tables, and how
/// many may be live: one trait, implemented by [`OnDemandAllocator`] and
/// [`PoolingAllocator`]. The engine's allocator is created on first use
/// from its `Config` ([`allocator_of`]).
pub trait InstanceAllocator: Send + Sync {
    /// Allocates a memory of type `ty` whose initial contents are `image`
    /// (mapped in place) if given.
    ///
    /// # Errors
    ///
    /// The memory type is not supported or exceeds the allocator's
    /// limits, or the allocator is out of memory slots or address space.
    ///
    /// # Safety
    ///
    /// The memory points into this allocator without counting it: it must
    /// be dropped before the engine that owns the allocator (a store drops
    /// its memories before its engine).
    unsafe fn allocate_memory(
        &self,
        ty: MemoryType,
        image: Option<Unowned<MemoryImage>>,
    ) -> Result<Box<LinearMemory>>;

    /// Allocates a table of type `ty`: uninitialized for lazy
    /// initialization if `lazy`, else null.
    ///
    /// # Errors
    ///
    /// The table exceeds the allocator's limits, or it is out of table
    /// slots.
    ///
    /// # Safety
    ///
    /// As for [`InstanceAllocator::allocate_memory`].
    unsafe fn allocate_table(&self, ty: TableType, lazy: bool) -> Result<Box<TableData>>;

    /// Counts one more live instance.
    ///
    /// # Errors
    ///
    /// The limit of live instances is reached.
    fn acquire_instance(&self) -> Result<()>;

    /// Counts one live instance less.
    fn release_instance(&self);
}

/// The allocator of `engine`, created on first use from its
/// configuration (a failure to reserve a pool is remembered, as retrying
/// cannot help).
///
/// # Errors
///
/// The pool could not be reserved.
pub fn allocator_of(engine: &Engine) -> Result<&dyn InstanceAllocator> {
    // On a cache line of its own: every instantiation and every drop reads
    // it, from every thread, and a small heap block shares its line with
    // whatever was allocated next to it, which other threads may write.
    type State = CacheLine<Result<Box<dyn InstanceAllocator>, String>>;
    let state = engine.runtime_state().get_or_init(|| {
        let allocator: Result<Box<dyn InstanceAllocator>, String> =
            match engine.config().get_allocation_strategy() {
                InstanceAllocationStrategy::OnDemand => {
                    Ok(Box::new(OnDemandAllocator::new(engine.config())))
                }
                InstanceAllocationStrategy::Pooling(p) => PoolingAllocator::new(p, engine.config())
                    .map(|a| Box::new(a) as Box<dyn InstanceAllocator>)
                    .map_err(|e| format!("{e:#}")),
            };
        Box::new(CacheLine(allocator))
    });
    state
        .downcast_ref::<State>()
        .expect("the engine state is the allocator")
        .as_ref()
        .map(|a| &**a)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Allocates memories and tables of their own, one at a time; no limit on
/// live instances.
pub struct OnDemandAllocator {
    config: kiln_engine::Config,
    /// Freed reservations, for reuse.
    reservations: ReservationCache,
    /// Freed mappings of large tables, for reuse.
    tables: TableMappings,
}

impl OnDemandAllocator {
    /// An allocator for memories configured by `config`.
    pub fn new(config: &kiln_engine::Config) -> OnDemandAllocator {
        OnDemandAllocator {
            config: config.clone(),
            reservations: ReservationCache::new(config),
            tables: TableMappings {
                free: Mutex::new(Vec::new()),
            },
        }
    }
}

/// How many freed table mappings an on-demand allocator keeps: as many as
/// reservations ([`RESERVATIONS_KEPT`]), for the same hosts. A kept
/// mapping holds at most [`MAPPED_TABLE_MEMSET`] resident (zeroed) bytes.
const TABLE_MAPPINGS_KEPT: usize = RESERVATIONS_KEPT;

/// Mappings of freed large on-demand tables, zeroed and kept for the next
/// tables of the same size: reusing one saves mapping and unmapping it.
pub struct TableMappings {
    free: Mutex<Vec<Mmap>>,
}

impl TableMappings {
    /// A kept zero mapping of `len` bytes, if there is one.
    pub fn take(&self, len: usize) -> Option<Mmap> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let pos = free.iter().rposition(|m| m.len() == len)?;
        Some(free.swap_remove(pos))
    }

    /// Zeroes elements `dirty` of `mapping` (the rest is zero) and keeps
    /// it, or unmaps it when enough are kept already: by `memset` when the
    /// range is small, by dropping its pages otherwise.
    pub fn give(&self, mapping: Mmap, dirty: Range<usize>) {
        if self.free.lock().unwrap_or_else(|e| e.into_inner()).len() >= TABLE_MAPPINGS_KEPT {
            // Full: unmapped on drop, not worth zeroing.
            return;
        }
        // SAFETY: the mapping is a table's own, which no table uses any
        // more, zero outside `dirty`.
        unsafe { zero_elements(mapping.as_ptr(), mapping.len(), dirty, MAPPED_TABLE_MEMSET) };
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < TABLE_MAPPINGS_KEPT {
            free.push(mapping);
        }
    }
}

/// Zeroes elements `dirty` of the table storage at `base`: `len` bytes,
/// the start of a private anonymous mapping of their own (whose last page
/// may be partly past `len`), zero outside `dirty`. Up to `memset_limit`
/// bytes (and always within one page) with `memset`; otherwise by dropping
/// the whole pages around the range, which loses nothing else.
///
/// # Safety
///
/// The storage must be writable and unused by any table.
unsafe fn zero_elements(base: *mut u8, len: usize, dirty: Range<usize>, memset_limit: usize) {
    let start = dirty.start * size_of::<usize>();
    let end = (dirty.end * size_of::<usize>()).min(len);
    if start >= end {
        return;
    }
    let page = mmap::page_size();
    let released = end - start > memset_limit.max(page) && {
        let (from, to) = (start / page * page, end.div_ceil(page) * page);
        // SAFETY: whole pages of the storage's own mapping (the caller's
        // contract); dropping anonymous pages zeroes them.
        unsafe { mmap::discard(base.add(from), to - from) }
    };
    if !released {
        // SAFETY: the range is inside the storage, writable.
        unsafe { std::ptr::write_bytes(base.add(start), 0, end - start) };
    }
}

/// Dirty table ranges up to this many bytes are zeroed with `memset`.
const MAPPED_TABLE_MEMSET: usize = 64 << 10;

impl InstanceAllocator for OnDemandAllocator {
    unsafe fn allocate_memory(
        &self,
        ty: MemoryType,
        image: Option<Unowned<MemoryImage>>,
    ) -> Result<Box<LinearMemory>> {
        // SAFETY: the cache is this allocator's, which the memory does not
        // outlive (the caller's contract).
        let cache = unsafe { Unowned::new(&self.reservations) };
        LinearMemory::new(ty, &self.config, image, Some(cache))
    }

    unsafe fn allocate_table(&self, ty: TableType, lazy: bool) -> Result<Box<TableData>> {
        // SAFETY: as for memories.
        let cache = unsafe { Unowned::new(&self.tables) };
        TableData::new(ty, (!lazy).then_some(0), Some(cache))
    }

    fn acquire_instance(&self) -> Result<()> {
        Ok(())
    }

    fn release_instance(&self) {}
}

/// Allocates from slots reserved up front (`PoolingAllocationConfig`):
/// memories, tables, and a count of live instances.
pub struct PoolingAllocator {
    memories: MemoryPool,
    tables: TablePool,
    /// Instances that may still be created, split over shards like the
    /// free lists, so that threads instantiating at once count on cache
    /// lines of their own.
    live: InstanceTokens,
    max_instances: usize,
}

/// The right to one more live instance, as tokens: the pool's instance
/// limit of them, dealt over [`SHARDS`] counters, each on its own cache
/// line. A thread takes from its shard first and returns to it; it takes
/// from the others only when its own is empty, so the limit is exact and
/// threads touch each other's counters only near it.
struct InstanceTokens {
    shards: [CacheLine<AtomicUsize>; SHARDS],
}

impl InstanceTokens {
    fn new(limit: usize) -> InstanceTokens {
        InstanceTokens {
            shards: std::array::from_fn(|k| {
                CacheLine(AtomicUsize::new(
                    limit / SHARDS + usize::from(k < limit % SHARDS),
                ))
            }),
        }
    }

    /// Takes a token; false if none is left.
    fn take(&self) -> bool {
        let first = SHARD.with(|s| *s);
        (0..SHARDS).any(|k| {
            self.shards[(first + k) % SHARDS]
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    /// Gives a token back.
    fn put(&self) {
        let shard = SHARD.with(|s| *s) % SHARDS;
        self.shards[shard].fetch_add(1, Ordering::AcqRel);
    }
}

/// A value alone on its cache line (two lines: the adjacent-line
/// prefetcher pairs them), so that writing it does not evict what other
/// threads read nearby.
#[repr(align(128))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl PoolingAllocator {
    /// Reserves the pools `p` describes, for memories configured by
    /// `config`.
    ///
    /// # Errors
    ///
    /// The address space cannot hold the pools.
    pub fn new(
        p: &PoolingAllocationConfig,
        config: &kiln_engine::Config,
    ) -> Result<PoolingAllocator> {
        Ok(PoolingAllocator {
            memories: MemoryPool::new(p, config)?,
            tables: TablePool::new(p)?,
            live: InstanceTokens::new(p.get_total_core_instances() as usize),
            max_instances: p.get_total_core_instances() as usize,
        })
    }
}

impl InstanceAllocator for PoolingAllocator {
    unsafe fn allocate_memory(
        &self,
        ty: MemoryType,
        image: Option<Unowned<MemoryImage>>,
    ) -> Result<Box<LinearMemory>> {
        // SAFETY: the pool is this allocator's, which the memory does not
        // outlive (the caller's contract).
        let pool = unsafe { Unowned::new(&self.memories) };
        LinearMemory::new_pooled(ty, pool, image)
    }

    unsafe fn allocate_table(&self, ty: TableType, lazy: bool) -> Result<Box<TableData>> {
        // SAFETY: as for memories.
        let pool = unsafe { Unowned::new(&self.tables) };
        TableData::new_pooled(ty, pool, (!lazy).then_some(0))
    }

    fn acquire_instance(&self) -> Result<()> {
        if !self.live.take() {
            bail!(
                "maximum concurrent instance limit of {} reached for the pooling allocator",
                self.max_instances
            );
        }
        Ok(())
    }

    fn release_instance(&self) {
        self.live.put();
    }
}

/// A slot's state while it is free.
struct FreeSlot {
    index: usize,
    /// Bytes readable and writable from the slot's base.
    accessible: usize,
    /// The image mapped in the slot, if any (its contents are reset to it).
    image: Option<u64>,
}

/// Memory slots reserved once: `count` slots of `slot_size` bytes (the
/// reservation plus the guard), each reset when freed.
pub struct MemoryPool {
    mapping: Mmap,
    slot_size: usize,
    slot_count: usize,
    /// The most pages a pooled memory may have.
    pub max_pages: u64,
    keep_resident: usize,
    free: FreeLists<FreeSlot>,
}

impl MemoryPool {
    fn new(p: &PoolingAllocationConfig, config: &kiln_engine::Config) -> Result<MemoryPool> {
        let page = mmap::page_size() as u64;
        let reservation = config.get_memory_reservation().max(WASM_PAGE);
        let slot_size = (reservation + config.get_memory_guard_size()).div_ceil(page) * page;
        let count = p.get_total_memories() as usize;
        let total = (slot_size as usize)
            .checked_mul(count)
            .filter(|t| *t < 1 << 46)
            .ok_or_else(|| anyhow::anyhow!("the memory pool would exceed the address space"))?;
        let mapping = Mmap::reserve(total)?;
        let max_pages = (p.get_max_memory_size().min(reservation) / WASM_PAGE).min(65536);
        let free = (0..count)
            .rev()
            .map(|index| FreeSlot {
                index,
                accessible: 0,
                image: None,
            })
            .collect();
        Ok(MemoryPool {
            mapping,
            slot_size: slot_size as usize,
            slot_count: count,
            max_pages,
            keep_resident: p.get_linear_memory_keep_resident(),
            free: FreeLists::new(free),
        })
    }

    fn base(&self, slot: usize) -> *mut u8 {
        // SAFETY: slot indices are below the slot count, so the offset
        // stays inside the mapping.
        unsafe { self.mapping.as_ptr().add(slot * self.slot_size) }
    }

    /// Takes a slot for a memory of `length` bytes with `image` in place,
    /// preferring one that already has the image mapped. Returns the slot
    /// and its base.
    pub fn allocate(&self, length: usize, image: Option<&MemoryImage>) -> Result<(usize, *mut u8)> {
        let wanted = image.map(|i| i.id);
        // A slot with this image in place, else a clean one, else any.
        let slot = self.free.take(&[
            &|s: &FreeSlot| s.image == wanted,
            &|s: &FreeSlot| s.image.is_none(),
            &|_: &FreeSlot| true,
        ]);
        let Some(slot) = slot else {
            bail!(
                "all {} memory slots of the pooling allocator are in use",
                self.slot_count
            );
        };
        let base = self.base(slot.index);
        // SAFETY: the slot is ours while we hold it, every range below lies
        // within it, and the image fits in `length` (checked when the image
        // was built).
        let prepared = unsafe {
            (|| -> Result<()> {
                let mut accessible = slot.accessible;
                let image_in_place = slot.image.is_some() && slot.image == wanted;
                if let Some(image) = image.filter(|i| !image_in_place && i.covers(length)) {
                    // Mapping the image replaces the first `length` bytes
                    // whatever they hold, and makes them accessible.
                    if accessible > length {
                        remap_anonymous(base.add(length), accessible - length, false)?;
                    }
                    return image.map_at(base);
                }
                if slot.image.is_some() && !image_in_place {
                    // Another module's image: replace it with zeroes.
                    remap_anonymous(base, accessible, false)?;
                    accessible = 0;
                }
                if accessible < length {
                    protect(base.add(accessible), length - accessible, true)?;
                } else {
                    protect(base.add(length), accessible - length, false)?;
                }
                match image {
                    Some(image) if !image_in_place => image.map_at(base),
                    _ => Ok(()),
                }
            })()
        };
        if let Err(e) = prepared {
            // Leave the slot clean: back to inaccessible zeroes.
            // SAFETY: the slot is ours.
            let _ = unsafe { remap_anonymous(base, self.slot_size, false) };
            self.release_slot(FreeSlot {
                index: slot.index,
                accessible: 0,
                image: None,
            });
            return Err(e);
        }
        Ok((slot.index, base))
    }

    fn release_slot(&self, slot: FreeSlot) {
        self.free.put(slot);
    }

    /// Resets and frees slot `slot`, which has `accessible` bytes mapped
    /// and `image` (if any) mapped over them. A memory that was never
    /// `written` (see `VMMemoryDefinition::written`) is freed as it is;
    /// one that was is reset by `reset_written`, with the pool's
    /// keep-resident size.
    pub fn deallocate(
        &self,
        slot: usize,
        accessible: usize,
        image: Option<&MemoryImage>,
        written: bool,
    ) {
        let base = self.base(slot);
        if !written {
            // Nothing wrote the memory since the slot was handed out clean:
            // it still is.
            self.release_slot(FreeSlot {
                index: slot,
                accessible,
                image: image.map(|i| i.id),
            });
            return;
        }
        // SAFETY: the slot is ours and no instance refers to it any more;
        // `image` is what is mapped at its base.
        let reset = unsafe { reset_written(base, accessible, image, self.keep_resident) };
        let slot = if reset {
            FreeSlot {
                index: slot,
                accessible,
                image: image.map(|i| i.id),
            }
        } else {
            // Could not reset in place: start over with a fresh mapping, or
            // leak the slot rather than reuse it dirty.
            // SAFETY: the slot is ours.
            if unsafe { remap_anonymous(base, self.slot_size, false) }.is_err() {
                return;
            }
            FreeSlot {
                index: slot,
                accessible: 0,
                image: None,
            }
        };
        self.release_slot(slot);
    }
}

/// Restores the first `accessible` bytes at `base`, which an instance
/// wrote, to their initial contents: `image`, if it is mapped there, over
/// zeroes. Returns whether it could; if not, the range must be replaced.
///
/// Only pages the instance may have written are reset: the kernel's page
/// map tells which pages are private copies rather than absent or still
/// the image's shared pages. When they add up to at most `keep_resident`
/// bytes, they are restored with a memory copy (and stay resident, so the
/// next instance does not fault on them); otherwise they are returned to
/// the kernel. An instance that wrote little costs no `madvise`, whose
/// TLB shootdowns would stall every other thread of the process.
///
/// # Safety
///
/// The range must be mapped readable and writable, with `image` mapped at
/// `base` if given, and nothing may refer to its contents any more.
unsafe fn reset_written(
    base: *mut u8,
    accessible: usize,
    image: Option<&MemoryImage>,
    keep_resident: usize,
) -> bool {
    let dirty = PAGEMAP
        .with(|pagemap| {
            pagemap
                .as_ref()
                .and_then(|pagemap| dirty_pages(pagemap, base, accessible))
        })
        .unwrap_or_else(|| std::iter::once(0..accessible).collect());
    let dirty_bytes: usize = dirty.iter().map(Range::len).sum();
    let mut reset = true;
    if dirty_bytes <= keep_resident {
        for range in dirty {
            // SAFETY: the range lies in the accessible, writable part, and
            // nothing refers to it any more (the caller's contract).
            let mem = unsafe { std::slice::from_raw_parts_mut(base.add(range.start), range.len()) };
            mem.fill(0);
            if let Some(image) = image {
                let start = image.offset.max(range.start);
                let bytes = image.bytes();
                let end = (image.offset + bytes.len()).min(range.end);
                if start < end {
                    mem[start - range.start..end - range.start]
                        .copy_from_slice(&bytes[start - image.offset..end - image.offset]);
                }
            }
        }
    } else {
        for range in dirty {
            // SAFETY: within the range; dropping private pages restores
            // the image's (file-backed) or zero (anonymous) contents.
            reset &= unsafe { mmap::discard(base.add(range.start), range.len()) };
        }
    }
    reset
}

/// The byte ranges of `[base, base + len)` that may differ from their
/// initial contents: pages present as private (anonymous) copies, or
/// swapped out. Absent pages read as their initial contents, and so do
/// present file pages (the image's, never written, or they would have been
/// copied) and pages mapping the shared zero page. `None` if the kernel
/// cannot tell (`PAGEMAP_SCAN` is Linux 6.7 and later).
///
/// `PAGEMAP_SCAN` walks the page tables once, skipping unpopulated ranges
/// a page-table level at a time, and returns runs of pages: cheap for a
/// large memory of which little was touched.
fn dirty_pages(pagemap: &std::fs::File, base: *mut u8, len: usize) -> Option<Vec<Range<usize>>> {
    use std::os::fd::AsRawFd;
    /// `struct page_region` of `linux/fs.h`.
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct PageRegion {
        start: u64,
        end: u64,
        categories: u64,
    }
    /// `struct pm_scan_arg` of `linux/fs.h`.
    #[repr(C)]
    struct PmScanArg {
        size: u64,
        flags: u64,
        start: u64,
        end: u64,
        walk_end: u64,
        vec: u64,
        vec_len: u64,
        max_pages: u64,
        category_inverted: u64,
        category_mask: u64,
        category_anyof_mask: u64,
        return_mask: u64,
    }
    const PAGE_IS_FILE: u64 = 1 << 2;
    const PAGE_IS_PRESENT: u64 = 1 << 3;
    const PAGE_IS_SWAPPED: u64 = 1 << 4;
    const PAGE_IS_PFNZERO: u64 = 1 << 5;
    /// `_IOWR('f', 16, struct pm_scan_arg)`.
    const PAGEMAP_SCAN: u64 =
        (3 << 30) | ((size_of::<PmScanArg>() as u64) << 16) | (0x66 << 8) | 16;

    let (first, last) = (base as u64, base as u64 + len as u64);
    let mut regions = [PageRegion::default(); 32];
    let mut dirty: Vec<Range<usize>> = Vec::new();
    let mut at = first;
    while at < last {
        let mut arg = PmScanArg {
            size: size_of::<PmScanArg>() as u64,
            flags: 0,
            start: at,
            end: last,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: regions.len() as u64,
            max_pages: 0,
            category_inverted: 0,
            category_mask: 0,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            return_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE | PAGE_IS_PFNZERO,
        };
        // SAFETY: `arg` is a valid `pm_scan_arg` whose output vector is
        // `regions`, of `vec_len` entries; the kernel only reads the page
        // tables of the range.
        let found = unsafe {
            libc::ioctl(
                pagemap.as_raw_fd(),
                PAGEMAP_SCAN as _,
                &mut arg as *mut PmScanArg,
            )
        };
        if found < 0 || arg.walk_end <= at {
            return None;
        }
        for r in &regions[..found as usize] {
            let clean = r.categories & PAGE_IS_SWAPPED == 0
                && r.categories & (PAGE_IS_FILE | PAGE_IS_PFNZERO) != 0;
            if clean {
                continue;
            }
            let range = (r.start - first) as usize..(r.end - first) as usize;
            match dirty.last_mut() {
                Some(last) if last.end == range.start => last.end = range.end,
                _ => dirty.push(range),
            }
        }
        at = arg.walk_end;
    }
    Some(dirty)
}

/// Table slots reserved once: `count` slots of `slot_size` bytes, mapped
/// readable and writable up front (committed only as elements are
/// written). A free slot is all zeroes: an uninitialized `funcref` table,
/// or a null `externref` one.
pub struct TablePool {
    mapping: Mmap,
    slot_size: usize,
    slot_count: usize,
    /// The most elements a pooled table may have.
    pub max_elements: usize,
    keep_resident: usize,
    free: FreeLists<usize>,
}

impl TablePool {
    fn new(p: &PoolingAllocationConfig) -> Result<TablePool> {
        let page = mmap::page_size();
        let max_elements = p.get_table_elements();
        let slot_size = max_elements
            .checked_mul(size_of::<usize>())
            .map(|b| b.div_ceil(page) * page)
            .ok_or_else(|| anyhow::anyhow!("pooled tables would exceed the address space"))?;
        let count = p.get_total_tables() as usize;
        let total = slot_size
            .checked_mul(count)
            .filter(|t| *t < 1 << 46)
            .ok_or_else(|| anyhow::anyhow!("the table pool would exceed the address space"))?;
        let mut mapping = Mmap::reserve(total)?;
        mapping.make_accessible(0, total)?;
        Ok(TablePool {
            mapping,
            slot_size,
            slot_count: count,
            max_elements,
            keep_resident: p.get_table_keep_resident(),
            free: FreeLists::new((0..count).rev().collect()),
        })
    }

    /// Takes a free slot: its index and its (zeroed) elements.
    ///
    /// # Errors
    ///
    /// Every slot is in use.
    pub fn allocate(&self) -> Result<(usize, *mut usize)> {
        let Some(slot) = self.free.take(&[&|_| true]) else {
            bail!(
                "all {} table slots of the pooling allocator are in use",
                self.slot_count
            );
        };
        Ok((slot, self.slot_base(slot).cast()))
    }

    /// Zeroes elements `dirty` of slot `slot` (every other element is
    /// still zero) and frees the slot.
    pub fn deallocate(&self, slot: usize, dirty: Range<usize>) {
        // SAFETY: the slot is a whole number of pages of the pool's mapping,
        // no table uses it any more, and it is zero outside `dirty`.
        unsafe {
            zero_elements(
                self.slot_base(slot),
                self.slot_size,
                dirty,
                self.keep_resident,
            )
        };
        self.free.put(slot);
    }

    fn slot_base(&self, slot: usize) -> *mut u8 {
        // SAFETY: slot indices are below the slot count, so the offset
        // stays inside the mapping.
        unsafe { self.mapping.as_ptr().add(slot * self.slot_size) }
    }
}

thread_local! {
    /// This thread's `/proc/self/pagemap`, to find the pages to reset
    /// (without it, every accessible page is reset). One per thread: a
    /// shared descriptor's reference count would bounce between cores.
    static PAGEMAP: Option<std::fs::File> = std::fs::File::open("/proc/self/pagemap").ok();

    /// This thread's shard of every [`FreeLists`].
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed);
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

/// Free-list shards: each thread frees to and allocates from its own
/// first, so threads instantiating at once do not contend on one lock.
const SHARDS: usize = 4;

/// A free list split into [`SHARDS`] shards. An item is only unavailable
/// when every shard is empty.
struct FreeLists<T> {
    shards: [CacheLine<Mutex<Vec<T>>>; SHARDS],
}

impl<T> FreeLists<T> {
    /// The items, dealt round-robin (keeping their order in each shard).
    fn new(items: Vec<T>) -> FreeLists<T> {
        let mut shards: [Vec<T>; SHARDS] = Default::default();
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            shards[(n - 1 - i) % SHARDS].push(item);
        }
        FreeLists {
            shards: shards.map(|v| CacheLine(Mutex::new(v))),
        }
    }

    /// Takes the most recently freed item that satisfies the first of
    /// `preferences` any item satisfies, searching every shard (this
    /// thread's first) for one preference before trying the next: a
    /// preferred item freed by another thread is still found.
    fn take(&self, preferences: &[&dyn Fn(&T) -> bool]) -> Option<T> {
        let first = SHARD.with(|s| *s);
        preferences.iter().find_map(|wanted| {
            (0..SHARDS).find_map(|k| {
                let mut shard = self.shards[(first + k) % SHARDS]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let i = shard.iter().rposition(wanted)?;
                Some(shard.swap_remove(i))
            })
        })
    }

    /// Frees `item` to this thread's shard.
    fn put(&self, item: T) {
        let shard = SHARD.with(|s| *s) % SHARDS;
        self.shards[shard]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(item);
    }
}

/// Makes `[ptr, ptr + len)` readable and writable (`rw`) or inaccessible.
///
/// # Safety
///
/// The range must be inside a mapping the caller owns.
pub(crate) unsafe fn protect(ptr: *mut u8, len: usize, rw: bool) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    let prot = if rw {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_NONE
    };
    // SAFETY: the caller owns the range.
    if unsafe { libc::mprotect(ptr.cast(), len, prot) } != 0 {
        bail!("mprotect failed: {}", io::Error::last_os_error());
    }
    Ok(())
}

/// Replaces `[ptr, ptr + len)` with fresh anonymous memory (zero pages),
/// readable and writable (`rw`) or inaccessible.
///
/// # Safety
///
/// The range must be inside a mapping the caller owns, unused.
unsafe fn remap_anonymous(ptr: *mut u8, len: usize, rw: bool) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    let prot = if rw {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_NONE
    };
    // SAFETY: the caller owns the range; MAP_FIXED replaces it.
    let r = unsafe {
        libc::mmap(
            ptr.cast(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if r == libc::MAP_FAILED {
        bail!("mmap failed: {}", io::Error::last_os_error());
    }
    Ok(())
}
