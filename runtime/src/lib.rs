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

mod anchor;
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

/// A command running the program `exe` built for the target under test:
/// directly, or through the command in the environment variable
/// `KILN_TEST_RUNNER` (such as `qemu-aarch64 -L /usr/aarch64-linux-gnu`)
/// when the tests run under emulation, as `.ci/aarch64` does. Shared by
/// the tests of every crate that runs programs it built (the `kiln`
/// binary, C programs, test processes).
pub fn target_command(exe: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let runner = std::env::var("KILN_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut cmd = std::process::Command::new(program);
            cmd.args(words).arg(exe);
            cmd
        }
        None => std::process::Command::new(exe),
    }
}

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
    ProfilingStrategy, TableType, TrapCode, ValType, is_serialized,
};
pub use linker::{InstancePre, Linker};
pub use store::{
    AsContext, AsContextMut, Store, StoreContext, StoreContextMut, StoreInner, StoreLimits,
    UpdateDeadline,
};
pub use trap::{FrameInfo, Trap};
pub use values::Val;
