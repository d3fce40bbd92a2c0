//! Kiln's C API (`libkiln.so`, `libkiln.a`): a drop-in for Wasmtime's.
//!
//! The headers in `include/` (`wasm.h`, `wasmtime.h`, `wasmtime/*.h`)
//! declare the same names, types, layouts and signatures as Wasmtime 50's;
//! this crate implements them over `kiln-runtime`.
//!
//! Conventions, shared by every module:
//! - An opaque C type `wasm_x_t` is a Rust struct of the same name, handed
//!   out as `Box::into_raw` and taken back (`_delete`) as `Box`.
//! - Parameters a caller may not pass as NULL are taken as references
//!   (`&T`, `&mut T`); an optional or owned one as `Option<&T>` /
//!   `Option<Box<T>>`. Raw pointers appear only for C arrays and out
//!   parameters, read through the helpers in [`ffi`].
//! - `wasmtime_store_t *` and `wasmtime_context_t *` are the same address:
//!   the store's `StoreInner` (see [`store`]), so a callback's context and
//!   the store it runs in are interchangeable.
//! - Every handle (`wasmtime_func_t`, `wasmtime_memory_t`, ...) carries
//!   its store's id; a handle used with another store aborts with a message,
//!   as Wasmtime does, rather than touching the wrong store.

#![allow(non_camel_case_types, reason = "C type names")]
#![allow(
    clippy::missing_safety_doc,
    reason = "C entry points are documented in include/, not in rustdoc"
)]

pub mod cache;
pub mod engine;
pub mod error;
pub mod r#extern;
pub mod externref;
pub mod ffi;
pub mod func;
pub mod global;
pub mod instance;
pub mod linker;
pub mod memory;
pub mod module;
pub mod store;
pub mod table;
pub mod trap;
pub mod types;
pub mod val;
pub mod vec;
pub mod wasm;
pub mod wat;
