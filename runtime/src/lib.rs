//! Kiln's runtime: stores, instances, functions, memories, globals, and
//! traps, over modules compiled by `kiln-engine`.
//!
//! The API follows the `wasmtime` crate: a [`Store`] owns everything
//! instantiated in it, handles ([`Func`], [`Instance`], [`Memory`],
//! [`Global`]) are small `Copy` values used with their store, and every
//! failure — a link error, a trap, a host error — is an `anyhow::Error`
//! (a trap downcasts to [`Trap`]).
//!
//! | feature | status |
//! |---|---|
//! | dynamic and typed calls, host functions (`Func::wrap`, `Func::new`) | yes |
//! | traps by signal handlers, with wasm backtraces | yes |
//! | linear memories behind guard pages, `memory.grow` | yes |
//! | imported and exported functions, globals, memories | yes |
//! | tables, `funcref` and `externref`, bulk memory | yes |
//!
//! The types a user touches are safe; raw pointers live in [`vm`] and
//! operating-system code in `sys`.

#![deny(missing_docs)]

mod cache;
mod externals;
mod func;
mod instance;
mod linker;
mod store;
mod sys;
mod trap;
mod values;
pub mod vm;

pub use anyhow::{Error, Result};
pub use cache::{CacheStats, InstancePreCache, ModuleHash};
pub use externals::{Extern, ExternRef, Global, Memory, Table};
pub use func::{
    Caller, Func, IntoFunc, ResolvedFunc, TypedFunc, WasmList, WasmParams, WasmResults, WasmRet,
    WasmTy,
};
pub use instance::Instance;
pub use kiln_engine::{
    Config, Engine, ExportType, ExternType, FuncType, GlobalType, ImportType,
    InstanceAllocationStrategy, MemoryType, Module, Mutability, OptLevel, PoolingAllocationConfig,
    TableType, TrapCode, ValType, is_serialized,
};
pub use linker::{InstancePre, Linker};
pub use store::{
    AsContext, AsContextMut, Store, StoreContext, StoreContextMut, StoreInner, StoreLimits,
    UpdateDeadline,
};
pub use trap::{FrameInfo, Trap};
pub use values::Val;
