//! Unix: memory mappings and signal handlers.

pub mod mmap;
pub mod signals;
