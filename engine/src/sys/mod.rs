//! Architecture-specific code of the engine: making freshly written
//! machine code visible to instruction fetch. A port adds a file here (and
//! one in the runtime's `sys` folder).

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod arch;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod arch;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("Kiln supports x86-64 and aarch64 hosts only");

pub(crate) use arch::flush_icache;
