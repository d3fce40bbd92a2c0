//! All operating-system and architecture code: memory mapping, signal
//! handling and the host-to-wasm entry trampoline. A port edits this folder.

#[cfg(not(unix))]
compile_error!("Kiln supports Unix hosts only");

pub mod unix;

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
pub mod arch;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
pub mod arch;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("Kiln supports x86-64 and aarch64 hosts only");
