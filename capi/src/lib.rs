//! Kiln's C API (`libkiln.so`, `libkiln.a`), a drop-in for Wasmtime's.
//!
//! The library is built as part of the workspace; the functions of
//! `include/wasm.h` and `include/wasmtime/*.h` are added over the
//! `kiln-runtime` API as the C API is implemented.
