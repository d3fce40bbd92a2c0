//! `wasmtime/extern.h`: the handles of a store's functions, globals,
//! tables and memories as C values, and `wasmtime_extern_t`, the tagged
//! union of them.
//!
//! Each handle starts with its store's id (never 0 for a live object; a
//! null `funcref` has id 0) followed by private words that encode the
//! runtime handle (`to_raw_parts`). The layouts are Wasmtime 50's.

use crate::store::{StoreData, wasmtime_context_t};
use crate::types::wasm_externtype_t;
use kiln_runtime::{Extern, Func, Global, Memory, StoreContextMut, Table};
use std::ffi::c_void;

/// `wasmtime_func_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_func_t {
    pub store_id: u64,
    pub private: *mut c_void,
}

/// The store id and first private word shared by tables and memories.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct StoreIndex {
    pub store_id: u64,
    pub private1: u32,
}

/// `wasmtime_table_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_table_t {
    pub head: StoreIndex,
    pub private2: u32,
}

/// `wasmtime_memory_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_memory_t {
    pub head: StoreIndex,
    pub private2: u32,
}

/// `wasmtime_global_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_global_t {
    pub store_id: u64,
    pub private1: u32,
    pub private2: u32,
    pub private3: u32,
}

/// `wasmtime_tag_t`: only for the union's layout (Kiln has no
/// exception-handling tags).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_tag_t {
    pub store_id: u64,
    pub private: u64,
}

/// `wasmtime_extern_union_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasmtime_extern_union_t {
    pub func: wasmtime_func_t,
    pub global: wasmtime_global_t,
    pub table: wasmtime_table_t,
    pub memory: wasmtime_memory_t,
    pub sharedmemory: *mut c_void,
    pub tag: wasmtime_tag_t,
}

/// `wasmtime_extern_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_extern_t {
    pub kind: u8,
    pub of: wasmtime_extern_union_t,
}

pub const WASMTIME_EXTERN_FUNC: u8 = 0;
pub const WASMTIME_EXTERN_GLOBAL: u8 = 1;
pub const WASMTIME_EXTERN_TABLE: u8 = 2;
pub const WASMTIME_EXTERN_MEMORY: u8 = 3;
pub const WASMTIME_EXTERN_SHAREDMEMORY: u8 = 4;
pub const WASMTIME_EXTERN_TAG: u8 = 5;

impl wasmtime_func_t {
    /// The null `funcref` (store id 0, as Wasmtime writes it).
    pub(crate) const NULL: wasmtime_func_t = wasmtime_func_t {
        store_id: 0,
        private: std::ptr::null_mut(),
    };

    /// A function, or the null `funcref`.
    pub(crate) fn from_funcref(f: Option<Func>) -> wasmtime_func_t {
        f.map_or(Self::NULL, Self::from_func)
    }

    pub(crate) fn from_func(f: Func) -> wasmtime_func_t {
        let (store_id, bits) = f.to_raw_parts();
        wasmtime_func_t {
            store_id,
            private: bits as usize as *mut c_void,
        }
    }

    /// The function, checked against `store`: aborts if it belongs to
    /// another store or is no function encoding.
    pub(crate) fn func(&self, store_id: u64) -> Func {
        if self.store_id != store_id {
            crate::ffi::wrong_store("wasmtime_func_t");
        }
        self.func_unchecked()
            .unwrap_or_else(|| crate::ffi::wrong_store("corrupt wasmtime_func_t"))
    }

    /// The function, whatever its store (`None` for a bad encoding).
    pub(crate) fn func_unchecked(&self) -> Option<Func> {
        Func::from_raw_parts(self.store_id, self.private as usize as u64)
    }
}

impl wasmtime_table_t {
    pub(crate) fn from_table(t: Table) -> wasmtime_table_t {
        let (store_id, index) = t.to_raw_parts();
        wasmtime_table_t {
            head: StoreIndex {
                store_id,
                private1: index,
            },
            private2: 0,
        }
    }

    pub(crate) fn table(&self, store_id: u64) -> Table {
        if self.head.store_id != store_id {
            crate::ffi::wrong_store("wasmtime_table_t");
        }
        self.table_unchecked()
    }

    /// The table, whatever its store.
    pub(crate) fn table_unchecked(&self) -> Table {
        Table::from_raw_parts(self.head.store_id, self.head.private1)
    }
}

impl wasmtime_memory_t {
    pub(crate) fn from_memory(m: Memory) -> wasmtime_memory_t {
        let (store_id, index) = m.to_raw_parts();
        wasmtime_memory_t {
            head: StoreIndex {
                store_id,
                private1: index,
            },
            private2: 0,
        }
    }

    pub(crate) fn memory(&self, store_id: u64) -> Memory {
        if self.head.store_id != store_id {
            crate::ffi::wrong_store("wasmtime_memory_t");
        }
        self.memory_unchecked()
    }

    /// The memory, whatever its store.
    pub(crate) fn memory_unchecked(&self) -> Memory {
        Memory::from_raw_parts(self.head.store_id, self.head.private1)
    }
}

impl wasmtime_global_t {
    pub(crate) fn from_global(g: Global) -> wasmtime_global_t {
        let (store_id, [private1, private2, private3]) = g.to_raw_parts();
        wasmtime_global_t {
            store_id,
            private1,
            private2,
            private3,
        }
    }

    pub(crate) fn global(&self, store_id: u64) -> Global {
        if self.store_id != store_id {
            crate::ffi::wrong_store("wasmtime_global_t");
        }
        self.global_unchecked()
            .unwrap_or_else(|| crate::ffi::wrong_store("corrupt wasmtime_global_t"))
    }

    /// The global, whatever its store (`None` for a bad encoding).
    pub(crate) fn global_unchecked(&self) -> Option<Global> {
        Global::from_raw_parts(self.store_id, [self.private1, self.private2, self.private3])
    }
}

impl wasmtime_extern_t {
    pub(crate) fn from_extern(e: Extern) -> wasmtime_extern_t {
        match e {
            Extern::Func(f) => wasmtime_extern_t {
                kind: WASMTIME_EXTERN_FUNC,
                of: wasmtime_extern_union_t {
                    func: wasmtime_func_t::from_func(f),
                },
            },
            Extern::Global(g) => wasmtime_extern_t {
                kind: WASMTIME_EXTERN_GLOBAL,
                of: wasmtime_extern_union_t {
                    global: wasmtime_global_t::from_global(g),
                },
            },
            Extern::Table(t) => wasmtime_extern_t {
                kind: WASMTIME_EXTERN_TABLE,
                of: wasmtime_extern_union_t {
                    table: wasmtime_table_t::from_table(t),
                },
            },
            Extern::Memory(m) => wasmtime_extern_t {
                kind: WASMTIME_EXTERN_MEMORY,
                of: wasmtime_extern_union_t {
                    memory: wasmtime_memory_t::from_memory(m),
                },
            },
        }
    }

    /// The item, or an error if it is of a kind Kiln lacks or of another
    /// store (instantiation reports these as errors, as Wasmtime does).
    pub(crate) fn to_extern(self, store_id: u64) -> anyhow::Result<Extern> {
        let item = self.to_extern_any()?;
        anyhow::ensure!(
            item.store_id() == store_id,
            "an import or definition belongs to a different store"
        );
        Ok(item)
    }

    /// The item, whatever store it belongs to.
    pub(crate) fn to_extern_any(self) -> anyhow::Result<Extern> {
        // SAFETY: `kind` says which field is initialized (the C API's
        // contract); every field is plain data.
        Ok(unsafe {
            match self.kind {
                WASMTIME_EXTERN_FUNC => Extern::Func(
                    self.of
                        .func
                        .func_unchecked()
                        .ok_or_else(|| anyhow::anyhow!("invalid wasmtime_func_t"))?,
                ),
                WASMTIME_EXTERN_GLOBAL => Extern::Global(
                    self.of
                        .global
                        .global_unchecked()
                        .ok_or_else(|| anyhow::anyhow!("invalid wasmtime_global_t"))?,
                ),
                WASMTIME_EXTERN_TABLE => Extern::Table(self.of.table.table_unchecked()),
                WASMTIME_EXTERN_MEMORY => Extern::Memory(self.of.memory.memory_unchecked()),
                WASMTIME_EXTERN_SHAREDMEMORY => {
                    anyhow::bail!("shared memories are not supported by Kiln")
                }
                WASMTIME_EXTERN_TAG => anyhow::bail!("exception tags are not supported by Kiln"),
                k => anyhow::bail!("invalid wasmtime_extern_t kind {k}"),
            }
        })
    }
}

/// Writes a found item to `out` and returns true, or returns false (and
/// leaves `out` alone): the shape of every export and linker lookup.
///
/// # Safety
///
/// `out` is NULL (which aborts when an item is found) or writable.
pub(crate) unsafe fn write_found(item: Option<Extern>, out: *mut wasmtime_extern_t) -> bool {
    let Some(item) = item else {
        return false;
    };
    let value = wasmtime_extern_t::from_extern(item);
    // SAFETY: the caller's contract.
    unsafe { crate::ffi::write_out(out, value, "wasmtime_extern_t out pointer") };
    true
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_extern_delete(_val: &mut wasmtime_extern_t) {
    // Functions, globals, tables and memories are plain handles into
    // their store: there is nothing to free. (Shared memories, the one
    // kind Wasmtime frees here, do not exist in Kiln.)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_extern_type(
    context: *mut wasmtime_context_t,
    val: &wasmtime_extern_t,
) -> Box<wasm_externtype_t> {
    // SAFETY: a live context (the header's contract).
    let ctx: StoreContextMut<'_, StoreData> = unsafe { crate::store::context(context) };
    let item = val
        .to_extern(ctx.id())
        .unwrap_or_else(|e| crate::ffi::wrong_store(&format!("wasmtime_extern_t ({e})")));
    wasm_externtype_t::new(item.declared_ty(&ctx))
}
