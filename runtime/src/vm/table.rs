//! Tables: growable arrays of references, owned by the store and reached
//! from each VMContext through a definition pointer.
//!
//! Elements are stored encoded. An `externref` table stores the value (a
//! pointer to host data, 0 for null). A `funcref` table stores a
//! `*const VMFuncRef` (0 for null) with `FUNCREF_INIT_BIT` set, so that a
//! stored 0 means "not initialized yet": such an element takes its value,
//! on first access, from the defining module's `TableInit::Lazy` image.
//! Everything outside this file sees decoded values.

use super::alloc::{TableMappings, TablePool};
use crate::sys::unix::mmap::Mmap;
use crate::vm::Unowned;
use kiln_engine::module_info::TableInit;
use kiln_engine::vm_layout::FUNCREF_INIT_BIT;
use kiln_engine::{Module, TableType, ValType};
use std::ops::Range;

/// Most elements a table may have: growth past this fails (returns -1)
/// rather than exhausting memory.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// Where compiled code finds a table.
#[derive(Debug)]
#[repr(C)]
pub struct VMTableDefinition {
    /// The elements, encoded.
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: usize,
}

/// Where uninitialized elements of a lazily initialized table come from.
struct LazyInit {
    /// The VMContext of the instance that defines the table.
    vmctx: *mut u8,
    /// Its module, whose `table_inits[table]` is the image; not counted
    /// (the store keeps the module registered, and drops its tables first).
    module: std::mem::ManuallyDrop<Module>,
    /// The defined-table index.
    table: u32,
}

/// Tables of at least this many bytes get a mapping of their own, whose
/// zero pages cost nothing until written (a zeroed heap allocation would
/// be written whole).
const MAPPED_TABLE_BYTES: usize = 64 << 10;

impl LazyInit {
    /// Element `i` as the image gives it: a `VMFuncRef` pointer, or 0.
    fn element(&self, i: usize) -> usize {
        let TableInit::Lazy(image) = &self.module.info().table_inits[self.table as usize] else {
            return 0;
        };
        match image.get(i) {
            Some(&f) if f != TableInit::NULL => {
                // SAFETY: `vmctx` is the live VMContext of an instance of
                // `module` (`TableData::set_lazy_init`'s contract).
                unsafe { crate::instance::func_ref_ptr(self.vmctx, &self.module, f) as usize }
            }
            _ => 0,
        }
    }
}

/// Where a table's elements live.
enum Storage {
    /// A vector of exactly the table's size.
    Heap(Vec<usize>),
    /// A mapping of exactly the table's size (until it grows onto the
    /// heap), given back to `cache` (if any) when freed.
    Mapped {
        mapping: Mmap,
        cache: Option<Unowned<TableMappings>>,
    },
    /// A slot of the engine's table pool (zero past the table's size).
    Pooled {
        pool: Unowned<TablePool>,
        slot: usize,
    },
}

/// A table. The definition comes first: libcalls treat a definition
/// pointer as a pointer to this.
#[repr(C)]
pub struct TableData {
    pub(crate) def: VMTableDefinition,
    storage: Storage,
    ty: TableType,
    /// `FUNCREF_INIT_BIT` for `funcref` tables, 0 for `externref` ones:
    /// or-ed into every stored value.
    tag: usize,
    lazy: Option<LazyInit>,
    /// Elements written through this type, to reset in a pooled slot.
    dirty: Range<usize>,
    /// Compiled code may write any element with inline stores.
    written_inline: bool,
}

// SAFETY: the raw pointers point into the storage, which moves with it, and
// to the defining instance's VMContext, which lives in the same store.
unsafe impl Send for TableData {}

impl TableData {
    fn boxed(ty: TableType, storage: Storage, base: *mut usize) -> Box<TableData> {
        Box::new(TableData {
            def: VMTableDefinition {
                base,
                current_elements: ty.minimum() as usize,
            },
            storage,
            ty,
            tag: if ty.element() == ValType::FuncRef {
                FUNCREF_INIT_BIT as usize
            } else {
                0
            },
            lazy: None,
            dirty: 0..0,
            written_inline: false,
        })
    }

    /// A table of type `ty` at its minimum size, every element `init` (a
    /// raw reference: a `VMFuncRef` pointer or an `externref`, 0 = null),
    /// or uninitialized for [`TableData::set_lazy_init`] when `init` is
    /// `None`. A large table gets a zero mapping of its own, taken from
    /// `cache` when it keeps one (and given back when freed).
    ///
    /// # Errors
    ///
    /// The minimum exceeds [`MAX_TABLE_ELEMENTS`].
    pub fn new(
        ty: TableType,
        init: Option<usize>,
        cache: Option<Unowned<TableMappings>>,
    ) -> anyhow::Result<Box<TableData>> {
        check_minimum(ty, MAX_TABLE_ELEMENTS, "")?;
        let len = ty.minimum() as usize;
        let bytes = len * size_of::<usize>();
        let mut table = if bytes >= MAPPED_TABLE_BYTES {
            let mapping = match cache.and_then(|c| c.take(bytes)) {
                Some(mapping) => mapping,
                None => Mmap::zeroed(bytes)?,
            };
            let base = mapping.as_ptr().cast();
            let storage = Storage::Mapped { mapping, cache };
            TableData::boxed(ty, storage, base)
        } else {
            let mut elements = vec![0; len];
            let base = elements.as_mut_ptr();
            TableData::boxed(ty, Storage::Heap(elements), base)
        };
        table.fill_zeroed(init);
        Ok(table)
    }

    /// [`TableData::new`] in a slot of `pool`.
    ///
    /// # Errors
    ///
    /// The minimum exceeds the pool's element limit, or every slot is in
    /// use.
    pub fn new_pooled(
        ty: TableType,
        pool: Unowned<TablePool>,
        init: Option<usize>,
    ) -> anyhow::Result<Box<TableData>> {
        let max = (pool.max_elements as u64).min(MAX_TABLE_ELEMENTS);
        check_minimum(ty, max, " of the pooling allocator")?;
        let (slot, base) = pool.allocate()?;
        let storage = Storage::Pooled { pool, slot };
        let mut table = TableData::boxed(ty, storage, base);
        table.fill_zeroed(init);
        Ok(table)
    }

    /// Sets every element of a new table, whose storage is zero, to
    /// `init`, unless that is stored as zero already (a null `externref`)
    /// or the table stays uninitialized (`None`).
    fn fill_zeroed(&mut self, init: Option<usize>) {
        if let Some(init) = init.filter(|v| self.encode(*v) != 0) {
            self.fill(0, init, self.size());
        }
    }

    /// Makes uninitialized elements take their value from `module`'s lazy
    /// image of its defined table `table`, as functions of the instance
    /// whose VMContext is `vmctx`.
    ///
    /// # Safety
    ///
    /// `vmctx` must be that instance's live VMContext, and outlive the
    /// table (both belong to one store); it is dereferenced only when an
    /// element is materialized. `module` is held without counting it:
    /// another handle to it must outlive the table (the store keeps the
    /// module registered and drops its tables first).
    pub unsafe fn set_lazy_init(&mut self, vmctx: *mut u8, module: &Module, table: u32) {
        debug_assert!(matches!(
            module.info().table_inits[table as usize],
            TableInit::Lazy(_)
        ));
        self.lazy = Some(LazyInit {
            vmctx,
            // SAFETY: another handle outlives the table (the caller's
            // contract).
            module: unsafe { module.unowned() },
            table,
        });
    }

    /// Records that compiled code may write any element with inline
    /// stores, so that a pooled slot is reset whole.
    pub fn mark_written_inline(&mut self) {
        self.written_inline = true;
    }

    fn elements(&self) -> &[usize] {
        // SAFETY: `base` points to `current_elements` initialized elements
        // owned by the storage.
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.current_elements) }
    }

    /// Elements `range`, to be written (and so recorded as dirty); `None`
    /// if out of bounds.
    fn elements_mut(&mut self, range: Range<usize>) -> Option<&mut [usize]> {
        if range.start > range.end || range.end > self.def.current_elements {
            return None;
        }
        if !range.is_empty() {
            self.dirty = if self.dirty.is_empty() {
                range.clone()
            } else {
                self.dirty.start.min(range.start)..self.dirty.end.max(range.end)
            };
        }
        // SAFETY: as in `elements`; the storage is uniquely ours through
        // `&mut self`, and the range is in bounds.
        let all =
            unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.current_elements) };
        Some(&mut all[range])
    }

    fn encode(&self, value: usize) -> usize {
        value | self.tag
    }

    fn decode(&self, raw: usize) -> usize {
        raw & !self.tag
    }

    /// Gives element `i`, which is uninitialized (stored as 0 in a
    /// `funcref` table), its value from the lazy image; returns it encoded.
    #[cold]
    fn materialize(&mut self, i: usize) -> usize {
        let value = self.lazy.as_ref().map_or(0, |lazy| lazy.element(i));
        let raw = self.encode(value);
        self.elements_mut(i..i + 1).expect("in bounds")[0] = raw;
        raw
    }

    /// Element `i`, encoded, materialized if it was uninitialized.
    pub fn get_encoded(&mut self, i: usize) -> Option<usize> {
        let raw = *self.elements().get(i)?;
        Some(if raw == 0 && self.tag != 0 {
            self.materialize(i)
        } else {
            raw
        })
    }

    /// Element `i` (a raw reference, 0 = null), or `None` past the end.
    pub fn get(&mut self, i: usize) -> Option<usize> {
        let raw = self.get_encoded(i)?;
        Some(self.decode(raw))
    }

    /// Sets element `i` to `value`; false past the end.
    pub fn set(&mut self, i: usize, value: usize) -> bool {
        self.fill(i, value, 1)
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.def.current_elements
    }

    /// Sets elements `dst..dst + len` to `value`; false (and nothing
    /// changed) if that is out of bounds.
    pub fn fill(&mut self, dst: usize, value: usize, len: usize) -> bool {
        let raw = self.encode(value);
        match dst
            .checked_add(len)
            .and_then(|end| self.elements_mut(dst..end))
        {
            Some(slots) => {
                slots.fill(raw);
                true
            }
            None => false,
        }
    }

    /// Sets elements from `dst` on to `values`; false (and nothing changed)
    /// if that is out of bounds.
    pub fn write(&mut self, dst: usize, values: impl ExactSizeIterator<Item = usize>) -> bool {
        let tag = self.tag;
        match dst
            .checked_add(values.len())
            .and_then(|end| self.elements_mut(dst..end))
        {
            Some(slots) => {
                for (slot, value) in slots.iter_mut().zip(values) {
                    *slot = value | tag;
                }
                true
            }
            None => false,
        }
    }

    /// Materializes every uninitialized element of `range`, so that the
    /// stored values can be copied to any table.
    fn materialize_range(&mut self, range: Range<usize>) {
        if self.tag == 0 {
            return;
        }
        for i in range {
            if self.elements()[i] == 0 {
                self.materialize(i);
            }
        }
    }

    /// `table.copy`: copies `len` elements from `src` (or from `dst`
    /// itself when `None`) at `s` to `dst` at `d`; false (and nothing
    /// changed) if either range is out of bounds. Both tables have the
    /// same element type (validation guarantees it).
    pub fn copy(
        dst: &mut TableData,
        src: Option<&mut TableData>,
        d: usize,
        s: usize,
        len: usize,
    ) -> bool {
        let bound = |start: usize, size: usize| {
            start
                .checked_add(len)
                .filter(|end| *end <= size)
                .map(|end| start..end)
        };
        let src_size = src.as_ref().map_or(dst.size(), |t| t.size());
        let (Some(dr), Some(sr)) = (bound(d, dst.size()), bound(s, src_size)) else {
            return false;
        };
        match src {
            None => {
                dst.materialize_range(sr.clone());
                let lo = dr.start.min(sr.start);
                let span = dst.elements_mut(lo..dr.end.max(sr.end)).expect("in bounds");
                span.copy_within(sr.start - lo..sr.end - lo, dr.start - lo);
            }
            Some(src) => {
                src.materialize_range(sr.clone());
                let from = &src.elements()[sr];
                dst.elements_mut(dr)
                    .expect("in bounds")
                    .copy_from_slice(from);
            }
        }
        true
    }

    /// Grows by `delta` elements set to `init`, returning the old size, or
    /// `None` past the maximum (the table is unchanged then).
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.size();
        let new = (old as u64).checked_add(delta)?;
        let max = self.ty.maximum().unwrap_or(u64::from(u32::MAX));
        let limit = match &self.storage {
            Storage::Heap(_) | Storage::Mapped { .. } => MAX_TABLE_ELEMENTS,
            Storage::Pooled { pool, .. } => MAX_TABLE_ELEMENTS.min(pool.max_elements as u64),
        };
        if new > max || new > limit {
            return None;
        }
        let new = new as usize;
        if let Storage::Mapped { .. } = self.storage {
            // Growing moves the elements onto the heap.
            self.storage = Storage::Heap(self.elements().to_vec());
        }
        if let Storage::Heap(elements) = &mut self.storage {
            elements.resize(new, 0);
            self.def.base = elements.as_mut_ptr();
        }
        // A pooled slot is zero past the old size, a vector was just
        // zero-extended: the new elements are stored below.
        self.def.current_elements = new;
        self.fill(old, init, new - old);
        Some(old as u64)
    }

    /// The type, with the current size as minimum.
    pub fn ty(&self) -> TableType {
        TableType::new(
            self.ty.element(),
            self.size() as u32,
            self.ty.maximum().map(|m| m as u32),
        )
    }

    /// The declared type.
    pub fn declared_ty(&self) -> TableType {
        self.ty
    }

    /// The definition compiled code reads.
    pub fn definition(&mut self) -> *mut VMTableDefinition {
        &mut self.def
    }
}

impl Drop for TableData {
    fn drop(&mut self) {
        let dirty = if self.written_inline {
            0..self.def.current_elements
        } else {
            self.dirty.clone()
        };
        match &mut self.storage {
            Storage::Pooled { pool, slot } => pool.deallocate(*slot, dirty),
            Storage::Mapped {
                mapping,
                cache: Some(cache),
            } => {
                let mapping = std::mem::replace(mapping, Mmap::empty());
                cache.give(mapping, dirty);
            }
            Storage::Mapped { cache: None, .. } | Storage::Heap(_) => {}
        }
    }
}

fn check_minimum(ty: TableType, max: u64, whose: &str) -> anyhow::Result<()> {
    if ty.minimum() > max {
        anyhow::bail!(
            "table minimum of {} elements exceeds the limit{whose} of {max}",
            ty.minimum()
        );
    }
    Ok(())
}
