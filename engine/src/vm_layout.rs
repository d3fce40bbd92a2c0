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
//!  | instance: *mut ()           | 24   the runtime's instance record
//!  +-----------------------------+ 32
//!  | imported funcs  [n] x 16    |      VMFuncImport { wasm_call, vmctx }
//!  | memories [n] x 8            |      *mut VMMemoryDefinition, imported or not
//!  | tables   [n] x 8            |      *mut VMTableDefinition, imported or not
//!  | imported globals  [n] x 8   |      *mut VMGlobalDefinition
//!  | defined globals  [n] x 16   |      VMGlobalDefinition (16-byte aligned)
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
    /// Size of the struct.
    pub const SIZE: u32 = 32;
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
    /// Size of the struct.
    pub const SIZE: u32 = 16;
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
    /// Number of entries.
    pub const COUNT: u32 = 1;
}

/// Offsets of the VMContext fields of one module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    num_imported_funcs: u32,
    num_memories: u32,
    num_tables: u32,
    num_imported_globals: u32,
    num_defined_globals: u32,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    imported_globals: u32,
    defined_globals: u32,
    size: u32,
}

impl VMOffsets {
    /// Offset of the magic word.
    pub const MAGIC: u32 = 0;
    /// Offset of the `*mut VMStoreContext`.
    pub const STORE_CTX: u32 = 8;
    /// Offset of the `*const VMBuiltins`.
    pub const BUILTINS: u32 = 16;
    /// Offset of the runtime's instance pointer.
    pub const INSTANCE: u32 = 24;
    const HEADER: u32 = 32;

    /// Computes the layout for a module.
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let mut o = VMOffsets {
            num_imported_funcs: info.num_imported_funcs,
            num_memories: info.memories.len() as u32,
            num_tables: info.tables.len() as u32,
            num_imported_globals: info.num_imported_globals,
            num_defined_globals: info.num_defined_globals(),
            imported_funcs: 0,
            memories: 0,
            tables: 0,
            imported_globals: 0,
            defined_globals: 0,
            size: 0,
        };
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
            ..Default::default()
        };
        let o = VMOffsets::new(&info);
        assert_eq!(o.imported_func(0), 32);
        assert_eq!(o.imported_func(1), 48);
        assert_eq!(o.memory(0), 64);
        assert_eq!(o.imported_global(0), 72);
        assert_eq!(o.defined_global(0), 80);
        assert_eq!(o.defined_global(1), 96);
        assert_eq!(o.size(), 112);
        assert_eq!(o.size() % 16, 0);
    }
}
