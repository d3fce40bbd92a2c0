//! Tables: growable arrays of references, owned by the store and reached
//! from each VMContext through a definition pointer.
//!
//! Elements are stored encoded. An `externref` table stores the value (a
//! pointer to host data, 0 for null). A `funcref` table stores a
//! `*const VMFuncRef` (0 for null) with `FUNCREF_INIT_BIT` set, so that a
//! stored 0 means "not initialized yet": such an element takes its value,
//! on first access, from the defining module's `TableInit::Lazy` image.
//! Everything outside this file sees decoded values.

use kiln_engine::module_info::TableInit;
use kiln_engine::vm_layout::FUNCREF_INIT_BIT;
use kiln_engine::{Module, TableType, ValType};

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
    /// Its module, whose `table_inits[table]` is the image.
    module: Module,
    /// The defined-table index.
    table: u32,
}

/// A table. The definition comes first: libcalls treat a definition
/// pointer as a pointer to this.
#[repr(C)]
pub struct TableData {
    pub(crate) def: VMTableDefinition,
    elements: Vec<usize>,
    ty: TableType,
    /// `FUNCREF_INIT_BIT` for `funcref` tables, 0 for `externref` ones:
    /// or-ed into every stored value.
    tag: usize,
    lazy: Option<LazyInit>,
}

// SAFETY: the raw pointers point into `elements`, which moves with it, and
// to the defining instance's VMContext, which lives in the same store.
unsafe impl Send for TableData {}

impl TableData {
    fn with_raw(ty: TableType, raw: usize) -> anyhow::Result<Box<TableData>> {
        if ty.minimum() > MAX_TABLE_ELEMENTS {
            anyhow::bail!(
                "table minimum of {} elements exceeds the limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum()
            );
        }
        let mut elements = vec![raw; ty.minimum() as usize];
        let tag = if ty.element() == ValType::FuncRef {
            FUNCREF_INIT_BIT as usize
        } else {
            0
        };
        Ok(Box::new(TableData {
            def: VMTableDefinition {
                base: elements.as_mut_ptr(),
                current_elements: elements.len(),
            },
            elements,
            ty,
            tag,
            lazy: None,
        }))
    }

    /// A table of type `ty` at its minimum size, filled with `init` (a
    /// raw reference: a `VMFuncRef` pointer or an `externref`, 0 = null).
    ///
    /// # Errors
    ///
    /// The minimum exceeds [`MAX_TABLE_ELEMENTS`].
    pub fn new(ty: TableType, init: usize) -> anyhow::Result<Box<TableData>> {
        let mut table = TableData::with_raw(ty, 0)?;
        let raw = table.encode(init);
        table.elements.fill(raw);
        Ok(table)
    }

    /// A `funcref` table of type `ty` at its minimum size with every
    /// element uninitialized, for [`TableData::set_lazy_init`]. The
    /// zeroed allocation costs nothing per element.
    ///
    /// # Errors
    ///
    /// The minimum exceeds [`MAX_TABLE_ELEMENTS`].
    pub fn new_uninit(ty: TableType) -> anyhow::Result<Box<TableData>> {
        debug_assert_eq!(ty.element(), ValType::FuncRef);
        TableData::with_raw(ty, 0)
    }

    /// Makes uninitialized elements take their value from `module`'s lazy
    /// image of its defined table `table`, as functions of the instance
    /// whose VMContext is `vmctx`.
    ///
    /// `vmctx` must be that instance's live VMContext, and outlive the
    /// table (both belong to one store); it is dereferenced only when an
    /// element is materialized.
    pub fn set_lazy_init(&mut self, vmctx: *mut u8, module: &Module, table: u32) {
        debug_assert!(matches!(
            module.info().table_inits[table as usize],
            TableInit::Lazy(_)
        ));
        self.lazy = Some(LazyInit {
            vmctx,
            module: module.clone(),
            table,
        });
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
        let value = match &self.lazy {
            Some(lazy) => match &lazy.module.info().table_inits[lazy.table as usize] {
                TableInit::Lazy(image) => match image.get(i) {
                    Some(&f) if f != TableInit::NULL => {
                        // SAFETY: `vmctx` is the live VMContext of an
                        // instance of `module` (`set_lazy_init`'s contract).
                        let func_ref =
                            unsafe { crate::instance::func_ref_ptr(lazy.vmctx, &lazy.module, f) };
                        func_ref as usize
                    }
                    _ => 0,
                },
                TableInit::Eager => 0,
            },
            None => 0,
        };
        let raw = self.encode(value);
        self.elements[i] = raw;
        raw
    }

    /// Element `i`, encoded, materialized if it was uninitialized.
    pub fn get_encoded(&mut self, i: usize) -> Option<usize> {
        let raw = *self.elements.get(i)?;
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
        let raw = self.encode(value);
        match self.elements.get_mut(i) {
            Some(slot) => {
                *slot = raw;
                true
            }
            None => false,
        }
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.elements.len()
    }

    /// Sets elements `dst..dst + len` to `value`; false (and nothing
    /// changed) if that is out of bounds.
    pub fn fill(&mut self, dst: usize, value: usize, len: usize) -> bool {
        let raw = self.encode(value);
        match dst
            .checked_add(len)
            .and_then(|end| self.elements.get_mut(dst..end))
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
            .and_then(|end| self.elements.get_mut(dst..end))
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
    fn materialize_range(&mut self, range: std::ops::Range<usize>) {
        if self.tag == 0 || self.lazy.is_none() {
            return;
        }
        for i in range {
            if self.elements[i] == 0 {
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
                dst.elements.copy_within(sr, dr.start);
            }
            Some(src) => {
                src.materialize_range(sr.clone());
                dst.elements[dr].copy_from_slice(&src.elements[sr]);
            }
        }
        true
    }

    /// Grows by `delta` elements set to `init`, returning the old size, or
    /// `None` past the maximum (the table is unchanged then).
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta)?;
        let max = self.ty.maximum().unwrap_or(u64::from(u32::MAX));
        if new > max || new > MAX_TABLE_ELEMENTS {
            return None;
        }
        let raw = self.encode(init);
        self.elements.resize(new as usize, raw);
        self.def.base = self.elements.as_mut_ptr();
        self.def.current_elements = self.elements.len();
        Some(old)
    }

    /// The type, with the current size as minimum.
    pub fn ty(&self) -> TableType {
        TableType::new(
            self.ty.element(),
            self.elements.len() as u32,
            self.ty.maximum().map(|m| m as u32),
        )
    }

    /// The definition compiled code reads.
    pub fn definition(&mut self) -> *mut VMTableDefinition {
        &mut self.def
    }
}
