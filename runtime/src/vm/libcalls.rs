//! Libcalls: runtime services compiled code reaches through the
//! `VMBuiltins` table in every VMContext.
//!
//! Libcalls take plain scalars and pointers, hold no owned resources
//! across a return, and never unwind: one that must trap returns 0 and the
//! compiled code traps right after the call, so the trap has a wasm
//! program counter and backtrace like any other.

use super::VMStoreContext;
use super::memory::{LinearMemory, VMMemoryDefinition};
use super::table::{TableData, VMTableDefinition};
use crate::instance::InstanceData;
use crate::store::StoreOpaque;
use kiln_engine::vm_layout::VMOffsets;

/// The table of libcall pointers, in `vm_layout::builtins` order.
#[repr(C)]
pub struct VMBuiltins {
    /// `memory.grow`.
    pub memory_grow: unsafe extern "C" fn(*mut u8, u32, *mut VMMemoryDefinition) -> u32,
    /// `memory.fill`.
    pub memory_fill: unsafe extern "C" fn(*mut u8, *mut VMMemoryDefinition, u32, u32, u32) -> u32,
    /// `memory.copy`.
    pub memory_copy: unsafe extern "C" fn(
        *mut u8,
        *mut VMMemoryDefinition,
        *mut VMMemoryDefinition,
        u32,
        u32,
        u32,
    ) -> u32,
    /// `memory.init`.
    pub memory_init:
        unsafe extern "C" fn(*mut u8, *mut VMMemoryDefinition, u32, u32, u32, u32) -> u32,
    /// `data.drop`.
    pub data_drop: unsafe extern "C" fn(*mut u8, u32),
    /// `table.grow`.
    pub table_grow: unsafe extern "C" fn(*mut u8, *mut VMTableDefinition, usize, u32) -> u32,
    /// `table.fill`.
    pub table_fill: unsafe extern "C" fn(*mut u8, *mut VMTableDefinition, u32, usize, u32) -> u32,
    /// `table.copy`.
    pub table_copy: unsafe extern "C" fn(
        *mut u8,
        *mut VMTableDefinition,
        *mut VMTableDefinition,
        u32,
        u32,
        u32,
    ) -> u32,
    /// `table.init`.
    pub table_init:
        unsafe extern "C" fn(*mut u8, *mut VMTableDefinition, u32, u32, u32, u32) -> u32,
    /// `elem.drop`.
    pub elem_drop: unsafe extern "C" fn(*mut u8, u32),
}

/// The one table all instances share.
pub static BUILTINS: VMBuiltins = VMBuiltins {
    memory_grow,
    memory_fill,
    memory_copy,
    memory_init,
    data_drop,
    table_grow,
    table_fill,
    table_copy,
    table_init,
    elem_drop,
};

/// The store and instance of a calling VMContext.
///
/// # Safety
///
/// `vmctx` must be the live VMContext of an instance whose store is
/// running it (and so is not otherwise borrowed).
unsafe fn caller<'a>(vmctx: *mut u8) -> (&'a mut StoreOpaque, usize) {
    // SAFETY: the header of a live VMContext holds its store context, which
    // points back to the store, and its instance index.
    unsafe {
        let ctx: *mut VMStoreContext = vmctx
            .add(VMOffsets::STORE_CTX as usize)
            .cast::<*mut VMStoreContext>()
            .read();
        (&mut *(*ctx).store, super::instance_index(vmctx))
    }
}

/// `Some(start..start + len)` if it lies within `0..bound`.
fn range(start: u32, len: u32, bound: usize) -> Option<std::ops::Range<usize>> {
    let start = start as usize;
    let end = start.checked_add(len as usize)?;
    (end <= bound).then_some(start..end)
}

/// # Safety
///
/// `def` must point to the definition at the start of a live `LinearMemory`.
unsafe fn memory<'a>(def: *mut VMMemoryDefinition) -> &'a mut LinearMemory {
    // SAFETY: `LinearMemory` is `repr(C)` with its definition first.
    unsafe { &mut *def.cast::<LinearMemory>() }
}

/// # Safety
///
/// `def` must point to the definition at the start of a live `TableData`.
unsafe fn table<'a>(def: *mut VMTableDefinition) -> &'a mut TableData {
    // SAFETY: `TableData` is `repr(C)` with its definition first.
    unsafe { &mut *def.cast::<TableData>() }
}

/// `memory.grow`: the old size in pages, or `u32::MAX` (-1).
unsafe extern "C" fn memory_grow(_vmctx: *mut u8, delta: u32, def: *mut VMMemoryDefinition) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let memory = unsafe { memory(def) };
    memory
        .grow(u64::from(delta))
        .map_or(u32::MAX, |old| old as u32)
}

unsafe extern "C" fn memory_fill(
    _vmctx: *mut u8,
    def: *mut VMMemoryDefinition,
    dst: u32,
    val: u32,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let data = unsafe { memory(def) }.data_mut();
    match range(dst, len, data.len()) {
        Some(r) => {
            data[r].fill(val as u8);
            1
        }
        None => 0,
    }
}

unsafe extern "C" fn memory_copy(
    _vmctx: *mut u8,
    dst_def: *mut VMMemoryDefinition,
    src_def: *mut VMMemoryDefinition,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    if dst_def == src_def {
        // SAFETY: compiled code passes a definition pointer from its VMContext.
        let data = unsafe { memory(dst_def) }.data_mut();
        let (Some(d), Some(s)) = (range(dst, len, data.len()), range(src, len, data.len())) else {
            return 0;
        };
        data.copy_within(s, d.start);
    } else {
        // SAFETY: two distinct live memories.
        let (dst_mem, src_mem) = unsafe { (memory(dst_def), memory(src_def)) };
        let (dst_data, src_data) = (dst_mem.data_mut(), src_mem.data());
        let (Some(d), Some(s)) = (
            range(dst, len, dst_data.len()),
            range(src, len, src_data.len()),
        ) else {
            return 0;
        };
        dst_data[d].copy_from_slice(&src_data[s]);
    }
    1
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    def: *mut VMMemoryDefinition,
    data_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    let inst = &store.instances[instance];
    let segment = if inst.dropped_data[data_index as usize] {
        &[][..]
    } else {
        inst.module.data_segment(data_index as usize)
    };
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let data = unsafe { memory(def) }.data_mut();
    let (Some(d), Some(s)) = (range(dst, len, data.len()), range(src, len, segment.len())) else {
        return 0;
    };
    data[d].copy_from_slice(&segment[s]);
    1
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, data_index: u32) {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    store.instances[instance].dropped_data[data_index as usize] = true;
}

unsafe extern "C" fn table_grow(
    _vmctx: *mut u8,
    def: *mut VMTableDefinition,
    init: usize,
    delta: u32,
) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let table = unsafe { table(def) };
    table
        .grow(u64::from(delta), init)
        .map_or(u32::MAX, |old| old as u32)
}

unsafe extern "C" fn table_fill(
    _vmctx: *mut u8,
    def: *mut VMTableDefinition,
    dst: u32,
    val: usize,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let elements = unsafe { table(def) }.elements_mut();
    match range(dst, len, elements.len()) {
        Some(r) => {
            elements[r].fill(val);
            1
        }
        None => 0,
    }
}

unsafe extern "C" fn table_copy(
    _vmctx: *mut u8,
    dst_def: *mut VMTableDefinition,
    src_def: *mut VMTableDefinition,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    if dst_def == src_def {
        // SAFETY: compiled code passes a definition pointer from its VMContext.
        let elements = unsafe { table(dst_def) }.elements_mut();
        let (Some(d), Some(s)) = (
            range(dst, len, elements.len()),
            range(src, len, elements.len()),
        ) else {
            return 0;
        };
        elements.copy_within(s, d.start);
    } else {
        // SAFETY: two distinct live tables.
        let (dst_table, src_table) = unsafe { (table(dst_def), table(src_def)) };
        let (de, se) = (dst_table.elements_mut(), src_table.elements());
        let (Some(d), Some(s)) = (range(dst, len, de.len()), range(src, len, se.len())) else {
            return 0;
        };
        de[d].copy_from_slice(&se[s]);
    }
    1
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    def: *mut VMTableDefinition,
    elem_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    let inst: &InstanceData = &store.instances[instance];
    let items = if inst.dropped_elems[elem_index as usize] {
        &[][..]
    } else {
        &inst.module.info().elems[elem_index as usize].items[..]
    };
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let elements = unsafe { table(def) }.elements_mut();
    let (Some(d), Some(s)) = (
        range(dst, len, elements.len()),
        range(src, len, items.len()),
    ) else {
        return 0;
    };
    for (slot, item) in elements[d].iter_mut().zip(&items[s]) {
        *slot = inst.elem_item(*item);
    }
    1
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem_index: u32) {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    store.instances[instance].dropped_elems[elem_index as usize] = true;
}
