//! The VMContext layout: the one vocabulary compiled code and the runtime
//! share. Compiled code loads fields at the offsets computed here; the runtime
//! allocates and fills exactly this layout, and its `#[repr(C)]` structs are
//! checked against these constants by tests.
//!
//! ```text
//!  VMContext of one instance (one allocation, 16-byte aligned)
//!  +-----------------------------+ 0
//!  | magic: u32, pad             |
//!  | store_ctx: *mut VMStoreCtx  | 8    per-store limits (stack limit, fuel, epoch)
//!  | builtins: *const VMBuiltins | 16   libcall table (memory.grow, ...)
//!  | instance: usize             | 24   the runtime's instance index
//!  | type_ids: *const u32        | 32   engine type id of each module type
//!  +-----------------------------+ 40
//!  | imported funcs  [n] x 16    |      VMFuncImport { wasm_call, vmctx }
//!  | memories [n] x 8            |      *mut VMMemoryDefinition, imported or not
//!  | tables   [n] x 8            |      *mut VMTableDefinition, imported or not
//!  | imported globals  [n] x 8   |      *mut VMGlobalDefinition
//!  | defined globals  [n] x 16   |      VMGlobalDefinition (16-byte aligned)
//!  | func refs [n] x 32          |      VMFuncRef of each escaping function
//!
//!  Memories and tables live in their own allocations owned by the store
//!  (so one memory can serve several instances, and `memory.grow` finds
//!  its owner from the definition pointer alone); globals defined by the
//!  instance live inline.
//!  +-----------------------------+ size
//! ```

use crate::module_info::ModuleInfo;

/// Value written at offset 0 of every VMContext, to catch stray pointers in
/// debug assertions.
pub const VMCTX_MAGIC: u32 = u32::from_le_bytes(*b"kiln");

/// Size in bytes of one value slot in the array calling convention
/// (`ValRaw`): wide enough for a v128.
pub const VAL_RAW_SIZE: u32 = 16;

/// `VMStoreContext` field offsets: per-store state compiled code reads.
pub mod store_ctx {
    /// `stack_limit: usize`: the lowest stack pointer wasm may use.
    pub const STACK_LIMIT: u32 = 0;
    /// `fuel_consumed: i64`: negative while fuel remains.
    pub const FUEL_CONSUMED: u32 = 8;
    /// `epoch_deadline: u64`.
    pub const EPOCH_DEADLINE: u32 = 16;
    /// `epoch_ptr: *const AtomicU64`: the engine's epoch counter.
    pub const EPOCH_PTR: u32 = 24;
    /// `store: *mut ()`: the runtime's store, for libcalls.
    pub const STORE: u32 = 32;
    /// Size of the struct.
    pub const SIZE: u32 = 40;
}

/// `VMFuncImport` field offsets.
pub mod func_import {
    /// `wasm_call: *const u8`: code with the wasm calling convention.
    pub const WASM_CALL: u32 = 0;
    /// `vmctx: *mut u8`: the callee's VMContext (or host function context).
    pub const VMCTX: u32 = 8;
    /// Size of the struct.
    pub const SIZE: u32 = 16;
}

/// `VMMemoryDefinition` field offsets.
pub mod memory_def {
    /// `base: *mut u8`.
    pub const BASE: u32 = 0;
    /// `current_length: usize`, in bytes.
    pub const LENGTH: u32 = 8;
    /// `written: u8`: nonzero once anything may have written the memory
    /// (compiled code sets it on entry to a function that writes it; the
    /// runtime, on any mutable access), so a memory nobody wrote needs no
    /// reset when it is freed.
    pub const WRITTEN: u32 = 16;
    /// Size of the struct.
    pub const SIZE: u32 = 24;
}

/// `VMTableDefinition` field offsets.
pub mod table_def {
    /// `base: *mut *mut u8`.
    pub const BASE: u32 = 0;
    /// `current_elements: usize`.
    pub const LENGTH: u32 = 8;
    /// Size of the struct.
    pub const SIZE: u32 = 16;
}

/// `VMFuncRef` field offsets: what a `funcref` value points to.
pub mod func_ref {
    /// `wasm_call: *const u8`.
    pub const WASM_CALL: u32 = 0;
    /// `vmctx: *mut u8`.
    pub const VMCTX: u32 = 8;
    /// `type_id: u32`: the engine-wide id of the function's type.
    pub const TYPE_ID: u32 = 16;
    /// Size of the struct (the runtime keeps its own data after the type id).
    pub const SIZE: u32 = 32;
}

/// How `funcref` table elements are stored: a `VMFuncRef` pointer (or 0
/// for null) with [`FUNCREF_INIT_BIT`] set, so that a stored 0 means "not
/// yet initialized" (see `TableInit::Lazy`). `externref` tables store
/// their values as they are.
pub const FUNCREF_INIT_BIT: u64 = 1;

/// `VMGlobalDefinition`: 16 bytes of storage, little-endian, value at offset 0.
pub const GLOBAL_DEF_SIZE: u32 = 16;

/// `VMHostFuncContext` field offsets: the "vmctx" of a host function.
pub mod host_ctx {
    /// `magic: u32`.
    pub const MAGIC: u32 = 0;
    /// `array_call: extern "C" fn(callee_vmctx, caller_vmctx, values, len)`.
    pub const ARRAY_CALL: u32 = 8;
}

/// Indices of the libcalls in the `VMBuiltins` table; each entry is one
/// pointer wide.
pub mod builtins {
    /// `memory_grow(vmctx, delta: u32, def: *mut VMMemoryDefinition) -> u32`
    /// (old size in pages, or `u32::MAX`).
    pub const MEMORY_GROW: u32 = 0;
    /// `memory_fill(vmctx, def, dst: u32, val: u32, len: u32) -> u32` (0 = trap).
    pub const MEMORY_FILL: u32 = 1;
    /// `memory_copy(vmctx, dst_def, src_def, dst: u32, src: u32, len: u32) -> u32`.
    pub const MEMORY_COPY: u32 = 2;
    /// `memory_init(vmctx, def, data: u32, dst: u32, src: u32, len: u32) -> u32`.
    pub const MEMORY_INIT: u32 = 3;
    /// `data_drop(vmctx, data: u32)`.
    pub const DATA_DROP: u32 = 4;
    /// `table_grow(vmctx, def, init: usize, delta: u32) -> u32` (old size or `u32::MAX`).
    pub const TABLE_GROW: u32 = 5;
    /// `table_fill(vmctx, def, dst: u32, val: usize, len: u32) -> u32` (0 = trap).
    pub const TABLE_FILL: u32 = 6;
    /// `table_copy(vmctx, dst_def, src_def, dst: u32, src: u32, len: u32) -> u32`.
    pub const TABLE_COPY: u32 = 7;
    /// `table_init(vmctx, def, elem: u32, dst: u32, src: u32, len: u32) -> u32`.
    pub const TABLE_INIT: u32 = 8;
    /// `elem_drop(vmctx, elem: u32)`.
    pub const ELEM_DROP: u32 = 9;
    /// `table_lazy_init(vmctx, def, index: u32) -> usize`: materializes an
    /// uninitialized element of a `funcref` table and returns it, encoded.
    pub const TABLE_LAZY_INIT: u32 = 10;
    /// `ref_func(vmctx, func: u32) -> *const VMFuncRef`.
    pub const REF_FUNC: u32 = 11;
    /// `epoch_reached(vmctx) -> u32`: the store's epoch deadline passed;
    /// 1 = a callback set a new deadline, keep running; 0 = trap.
    pub const EPOCH_REACHED: u32 = 12;
    /// Number of entries.
    pub const COUNT: u32 = 13;
}

/// Offsets of the VMContext fields of one module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    num_imported_funcs: u32,
    num_memories: u32,
    num_tables: u32,
    num_imported_globals: u32,
    num_defined_globals: u32,
    num_func_refs: u32,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    imported_globals: u32,
    defined_globals: u32,
    func_refs: u32,
    /// Slot in `func_refs` of each function, `u32::MAX` if it has none.
    func_ref_slots: Box<[u32]>,
    size: u32,
}

impl VMOffsets {
    /// Offset of the magic word.
    pub const MAGIC: u32 = 0;
    /// Offset of the `*mut VMStoreContext`.
    pub const STORE_CTX: u32 = 8;
    /// Offset of the `*const VMBuiltins`.
    pub const BUILTINS: u32 = 16;
    /// Offset of the runtime's instance index.
    pub const INSTANCE: u32 = 24;
    /// Offset of the `*const u32` type-id array.
    pub const TYPE_IDS: u32 = 32;
    const HEADER: u32 = 40;

    /// Computes the layout for a module.
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let mut o = VMOffsets {
            num_imported_funcs: info.num_imported_funcs,
            num_memories: info.memories.len() as u32,
            num_tables: info.tables.len() as u32,
            num_imported_globals: info.num_imported_globals,
            num_defined_globals: info.num_defined_globals(),
            num_func_refs: 0,
            imported_funcs: 0,
            memories: 0,
            tables: 0,
            imported_globals: 0,
            defined_globals: 0,
            func_refs: 0,
            func_ref_slots: Box::new([]),
            size: 0,
        };
        let mut slots = vec![u32::MAX; info.funcs.len()];
        for (i, escapes) in info.escaping_funcs.iter().enumerate() {
            if *escapes {
                slots[i] = o.num_func_refs;
                o.num_func_refs += 1;
            }
        }
        o.func_ref_slots = slots.into();
        let mut at = Self::HEADER;
        let mut take = |n: u32, size: u32, align: u32| {
            at = at.next_multiple_of(align);
            let start = at;
            at += n * size;
            start
        };
        o.imported_funcs = take(o.num_imported_funcs, func_import::SIZE, 8);
        o.memories = take(o.num_memories, 8, 8);
        o.tables = take(o.num_tables, 8, 8);
        o.imported_globals = take(o.num_imported_globals, 8, 8);
        o.defined_globals = take(o.num_defined_globals, GLOBAL_DEF_SIZE, 16);
        o.func_refs = take(o.num_func_refs, func_ref::SIZE, 8);
        o.size = take(0, 0, 16);
        o
    }

    /// Total size of the VMContext in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Offset of imported function `i`'s `VMFuncImport`.
    pub fn imported_func(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_imported_funcs);
        self.imported_funcs + i * func_import::SIZE
    }

    /// Offset of the pointer to memory `i`'s definition.
    pub fn memory(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_memories);
        self.memories + i * 8
    }

    /// Offset of the pointer to table `i`'s definition.
    pub fn table(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_tables);
        self.tables + i * 8
    }

    /// Offset of the pointer to imported global `i`'s definition.
    pub fn imported_global(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_imported_globals);
        self.imported_globals + i * 8
    }

    /// Offset of function `i`'s `VMFuncRef`, if it escapes (is exported,
    /// in an element segment, or named by `ref.func`).
    pub fn func_ref(&self, i: u32) -> Option<u32> {
        let slot = *self.func_ref_slots.get(i as usize)?;
        (slot != u32::MAX).then(|| self.func_refs + slot * func_ref::SIZE)
    }

    /// Offset of defined global `i`'s `VMGlobalDefinition`.
    pub fn defined_global(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_defined_globals);
        self.defined_globals + i * GLOBAL_DEF_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_packed_and_aligned() {
        let info = ModuleInfo {
            funcs: vec![0; 3],
            num_imported_funcs: 2,
            globals: vec![
                crate::module_info::Global {
                    ty: crate::GlobalType::new(crate::ValType::I32, crate::Mutability::Var),
                    init: None
                };
                3
            ],
            num_imported_globals: 1,
            memories: vec![crate::MemoryType::new(1, None)],
            escaping_funcs: vec![false; 3],
            ..Default::default()
        };
        let o = VMOffsets::new(&info);
        assert_eq!(o.imported_func(0), 40);
        assert_eq!(o.imported_func(1), 56);
        assert_eq!(o.memory(0), 72);
        assert_eq!(o.imported_global(0), 80);
        assert_eq!(o.defined_global(0), 96);
        assert_eq!(o.defined_global(1), 112);
        assert_eq!(o.size(), 128);
        assert_eq!(o.func_ref(0), None);
        assert_eq!(o.size() % 16, 0);
    }
}
