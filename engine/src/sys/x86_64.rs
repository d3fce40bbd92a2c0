//! x86-64: instruction fetch is coherent with data writes (the processor
//! snoops stores into code), so written code needs no cache maintenance.

/// Makes the code just written at `start..start + len` executable by
/// every thread. Nothing to do on x86-64.
pub(crate) fn flush_icache(_start: *const u8, _len: usize) {}
