//! Libcalls: runtime services compiled code reaches through the
//! `VMBuiltins` table in every VMContext.
//!
//! Libcalls take plain scalars and pointers, hold no owned resources, and
//! never unwind: if one ever needs to trap, it records the trap and unwinds
//! with `traphandlers::raise`, after dropping everything it owns.

use super::memory::{LinearMemory, VMMemoryDefinition};

/// The table of libcall pointers, in `vm_layout::builtins` order.
#[repr(C)]
pub struct VMBuiltins {
    /// `memory.grow`.
    pub memory_grow: unsafe extern "C" fn(*mut u8, u32, *mut VMMemoryDefinition) -> u32,
}

/// The one table all instances share.
pub static BUILTINS: VMBuiltins = VMBuiltins { memory_grow };

/// `memory.grow`: grows the memory whose definition is `def` by `delta`
/// pages, returning the old size in pages or `u32::MAX` (-1) on failure.
///
/// # Safety
///
/// `def` must point to the definition at the start of a live `LinearMemory`
/// of the calling instance's store.
unsafe extern "C" fn memory_grow(_vmctx: *mut u8, delta: u32, def: *mut VMMemoryDefinition) -> u32 {
    // SAFETY: `LinearMemory` is `repr(C)` with its definition first, and
    // compiled code passes the definition pointer from its VMContext.
    let memory = unsafe { &mut *def.cast::<LinearMemory>() };
    match memory.grow(u64::from(delta)) {
        Some(old) => old as u32,
        None => u32::MAX,
    }
}
