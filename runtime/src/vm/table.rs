//! Tables: growable arrays of references (`funcref`: a `*const VMFuncRef`,
//! `externref`: a pointer to host data; null is 0), owned by the store and
//! reached from each VMContext through a definition pointer.

use kiln_engine::TableType;

/// Most elements a table may have: growth past this fails (returns -1)
/// rather than exhausting memory.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// Where compiled code finds a table.
#[derive(Debug)]
#[repr(C)]
pub struct VMTableDefinition {
    /// The elements.
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: usize,
}

/// A table. The definition comes first: libcalls treat a definition
/// pointer as a pointer to this.
#[repr(C)]
pub struct TableData {
    pub(crate) def: VMTableDefinition,
    elements: Vec<usize>,
    ty: TableType,
}

// SAFETY: the raw pointer points into `elements`, which moves with it.
unsafe impl Send for TableData {}

impl TableData {
    /// A table of type `ty` at its minimum size, filled with `init`.
    ///
    /// # Errors
    ///
    /// The minimum exceeds [`MAX_TABLE_ELEMENTS`].
    pub fn new(ty: TableType, init: usize) -> anyhow::Result<Box<TableData>> {
        if ty.minimum() > MAX_TABLE_ELEMENTS {
            anyhow::bail!(
                "table minimum of {} elements exceeds the limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum()
            );
        }
        let mut elements = vec![init; ty.minimum() as usize];
        Ok(Box::new(TableData {
            def: VMTableDefinition {
                base: elements.as_mut_ptr(),
                current_elements: elements.len(),
            },
            elements,
            ty,
        }))
    }

    /// The elements.
    pub fn elements(&self) -> &[usize] {
        &self.elements
    }

    /// The elements, writable.
    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
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
        self.elements.resize(new as usize, init);
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
