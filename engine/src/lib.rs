//! Kiln's compiler: validates WebAssembly modules, translates them to
//! Cranelift IR and compiles them to a native code image.
//!
//! | feature | status |
//! |---|---|
//! | integer and float instructions, sign extension, saturating truncation | yes |
//! | structured control, calls, multi-value | yes |
//! | globals, linear memory (guard pages or explicit checks) | yes |
//! | tables, `call_indirect`, reference types, bulk memory | yes |
//! | inlining of small functions, backtraces unchanged ([`Config::inlining`]) | yes |
//! | 128-bit SIMD | no |
//!
//! The engine never calls the runtime: compiled code reaches runtime
//! services through the VMContext, laid out by [`vm_layout::VMOffsets`].

#![deny(missing_docs)]

mod code;
mod compile;
mod config;
mod engine;
mod mapping;
mod module;
pub mod module_info;
mod perfmap;
mod serialize;
mod sys;
mod translate;
mod trap;
mod types;
pub mod vm_layout;

pub use code::CodeImage;
pub use config::{
    Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, ProfilingStrategy,
};
pub use engine::Engine;
pub use module::{DataBytes, ExportType, FuncEntry, ImageLayout, ImportType, Module};
pub use serialize::is_serialized;
pub use translate::INLINE_MAX_BODY;
pub use trap::TrapCode;
pub use types::{
    EntityIndex, ExternType, FuncType, GlobalType, MemoryType, Mutability, TableType, ValType,
};
