//! Libcalls: runtime services compiled code reaches through the
//! `VMBuiltins` table in every VMContext.
//!
//! Libcalls take plain scalars and pointers, hold no owned resources
//! across a return, and never unwind: one that must trap returns 0 and the
//! compiled code traps right after the call, so the trap has a wasm
//! program counter and backtrace like any other.

use super::memory::{LinearMemory, VMMemoryDefinition};
use super::table::{TableData, VMTableDefinition};
use crate::instance::InstanceData;
use crate::store::StoreOpaque;

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
    /// Materializes an uninitialized `funcref` table element.
    pub table_lazy_init: unsafe extern "C" fn(*mut u8, *mut VMTableDefinition, u32) -> usize,
    /// `ref.func`.
    pub ref_func: unsafe extern "C" fn(*mut u8, u32) -> usize,
    /// The epoch deadline was reached.
    pub epoch_reached: unsafe extern "C" fn(*mut u8) -> u32,
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
    table_lazy_init,
    ref_func,
    epoch_reached,
};

/// The store and instance of a calling VMContext.
///
/// # Safety
///
/// `vmctx` must be the live VMContext of an instance whose store is
/// running it (and so is not otherwise borrowed).
unsafe fn caller<'a>(vmctx: *mut u8) -> (&'a mut StoreOpaque, usize) {
    // SAFETY: the caller's contract; the store is lent to the running wasm.
    unsafe { (&mut *super::store_of(vmctx), super::instance_index(vmctx)) }
}

/// `Some(start..start + len)` if it lies within `0..bound`.
fn range(start: u32, len: u32, bound: usize) -> Option<std::ops::Range<usize>> {
    let start = start as usize;
    let end = start.checked_add(len as usize)?;
    (end <= bound).then_some(start..end)
}

/// Copies `len` items from `src` (or from `dst` itself when `None`) at
/// `s` to `dst` at `d`: 1, or 0 (trap) if either range is out of bounds.
fn copy_items<T: Copy>(dst: &mut [T], src: Option<&[T]>, d: u32, s: u32, len: u32) -> u32 {
    let src_len = src.map_or(dst.len(), <[T]>::len);
    let (Some(d), Some(s)) = (range(d, len, dst.len()), range(s, len, src_len)) else {
        return 0;
    };
    match src {
        None => dst.copy_within(s, d.start),
        Some(src) => dst[d].copy_from_slice(&src[s]),
    }
    1
}

/// Sets `len` items of `dst` at `d` to `val`: 1, or 0 (trap) if out of
/// bounds.
fn fill_items<T: Copy>(dst: &mut [T], d: u32, val: T, len: u32) -> u32 {
    match range(d, len, dst.len()) {
        Some(r) => {
            dst[r].fill(val);
            1
        }
        None => 0,
    }
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
unsafe extern "C" fn memory_grow(vmctx: *mut u8, delta: u32, def: *mut VMMemoryDefinition) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let memory = unsafe { memory(def) };
    let new_bytes = (memory.pages() + u64::from(delta)) * super::memory::WASM_PAGE;
    // SAFETY: called from compiled code of a live instance; only the limits
    // are read.
    if unsafe { (*super::store_of(vmctx)).check_memory_size(new_bytes) }.is_err() {
        return u32::MAX;
    }
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
    fill_items(unsafe { memory(def) }.data_mut(), dst, val as u8, len)
}

unsafe extern "C" fn memory_copy(
    _vmctx: *mut u8,
    dst_def: *mut VMMemoryDefinition,
    src_def: *mut VMMemoryDefinition,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes definition pointers from its VMContext;
    // the source is borrowed only when it is another memory.
    unsafe {
        let src_data = (dst_def != src_def).then(|| memory(src_def).data());
        copy_items(memory(dst_def).data_mut(), src_data, dst, src, len)
    }
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
    vmctx: *mut u8,
    def: *mut VMTableDefinition,
    init: usize,
    delta: u32,
) -> u32 {
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let table = unsafe { table(def) };
    let new_size = table.size() as u64 + u64::from(delta);
    // SAFETY: called from compiled code of a live instance; only the limits
    // are read.
    if unsafe { (*super::store_of(vmctx)).check_table_size(new_size) }.is_err() {
        return u32::MAX;
    }
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
    let table = unsafe { table(def) };
    u32::from(table.fill(dst as usize, val, len as usize))
}

unsafe extern "C" fn table_copy(
    _vmctx: *mut u8,
    dst_def: *mut VMTableDefinition,
    src_def: *mut VMTableDefinition,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes definition pointers from its VMContext;
    // the source is borrowed only when it is another table.
    let ok = unsafe {
        let src_table = (dst_def != src_def).then(|| table(src_def));
        TableData::copy(
            table(dst_def),
            src_table,
            dst as usize,
            src as usize,
            len as usize,
        )
    };
    u32::from(ok)
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
    let items = &inst.module.info().elems[elem_index as usize].items;
    let available = if inst.dropped_elems[elem_index as usize] {
        0
    } else {
        items.len()
    };
    let Some(s) = range(src, len, available) else {
        return 0;
    };
    // SAFETY: compiled code passes a definition pointer from its VMContext.
    let table = unsafe { table(def) };
    let values = items.range(s).map(|item| inst.elem_item(item));
    u32::from(table.write(dst as usize, values))
}

/// Materializes element `index` of the `funcref` table at `def`, which
/// compiled code found uninitialized; returns it encoded.
unsafe extern "C" fn table_lazy_init(
    _vmctx: *mut u8,
    def: *mut VMTableDefinition,
    index: u32,
) -> usize {
    // SAFETY: compiled code passes a definition pointer from its VMContext,
    // and an index it has bounds-checked.
    let table = unsafe { table(def) };
    table.get_encoded(index as usize).unwrap_or(0)
}

/// `ref.func`: the function's `VMFuncRef`, written on first use.
unsafe extern "C" fn ref_func(vmctx: *mut u8, func: u32) -> usize {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    let module = &store.instances[instance].module;
    // SAFETY: `vmctx` is the live VMContext of an instance of `module`.
    unsafe { crate::instance::func_ref_ptr(vmctx, module, func) as usize }
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem_index: u32) {
    // SAFETY: called from the instance's own code.
    let (store, instance) = unsafe { caller(vmctx) };
    store.instances[instance].dropped_elems[elem_index as usize] = true;
}

/// The epoch deadline passed: runs the store's callback, which sets a new
/// deadline (1: keep running) or fails (raised as a trap); without one,
/// 0 (trap with "interrupt").
unsafe extern "C" fn epoch_reached(vmctx: *mut u8) -> u32 {
    // SAFETY: called from compiled code of a live instance, whose store is
    // lent to the running wasm.
    let store = unsafe { super::store_of(vmctx) };
    // SAFETY: as above; the borrow ends before the callback runs.
    let Some(mut callback) = (unsafe { (*store).epoch_callback.take() }) else {
        return 0;
    };
    // The store's contents start with the `StoreOpaque` (`repr(C)`), so
    // this is also the `StoreInner<T>` the callback expects.
    let outcome = callback(store.cast());
    // SAFETY: as above; the callback's borrow has ended.
    let store = unsafe { &mut *store };
    store.epoch_callback = Some(callback);
    match outcome {
        Ok(ticks) => {
            store.set_epoch_deadline(ticks);
            1
        }
        // SAFETY: called from wasm; this frame owns nothing but `error`,
        // which moves into the reason.
        Err(error) => unsafe {
            super::traphandlers::raise(super::traphandlers::TrapReason::Host(error))
        },
    }
}
