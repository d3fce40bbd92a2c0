//! `Trap`: the error value of a trapped WebAssembly computation, with its
//! code and the wasm frames that were live.

use crate::store::StoreOpaque;
use crate::vm::traphandlers::TrapReason;
use kiln_engine::TrapCode;
use std::fmt;

/// A trap: why wasm stopped, and where.
#[derive(Debug, Clone)]
pub struct Trap {
    code: TrapCode,
    frames: Vec<FrameInfo>,
}

/// One wasm frame of a trap's backtrace.
#[derive(Debug, Clone)]
pub struct FrameInfo {
    module_name: Option<String>,
    func_index: u32,
    func_name: Option<String>,
    module_offset: Option<usize>,
    func_offset: Option<usize>,
}

impl FrameInfo {
    /// Index of the function in its module's function space.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The function's name from the name section.
    pub fn func_name(&self) -> Option<&str> {
        self.func_name.as_deref()
    }

    /// The module's name from the name section.
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }

    /// Byte offset of the instruction in the module binary.
    pub fn module_offset(&self) -> Option<usize> {
        self.module_offset
    }

    /// Byte offset of the instruction from the start of its function's
    /// body, when known.
    pub fn func_offset(&self) -> Option<usize> {
        self.func_offset
    }
}

impl Trap {
    /// A trap with a code and no frames.
    pub fn new(code: TrapCode) -> Trap {
        Trap {
            code,
            frames: Vec::new(),
        }
    }

    /// Why the computation trapped.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// The specification's wording for the trap.
    pub fn message(&self) -> &'static str {
        self.code.message()
    }

    /// The wasm frames, innermost first.
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }

    /// Builds the trap from the program counters of its wasm frames,
    /// innermost first.
    fn capture(store: &StoreOpaque, code: TrapCode, pcs: &[usize]) -> Trap {
        let mut frames = Vec::with_capacity(pcs.len());
        for &pc in pcs {
            let Some(module) = store.module_at(pc) else {
                continue;
            };
            let info = module.info();
            // More than one frame where calls were inlined.
            for (defined, offset) in module.code().frames_at(pc) {
                let func_index = defined + info.num_imported_funcs;
                frames.push(FrameInfo {
                    module_name: info.name.clone(),
                    func_index,
                    func_name: info.func_names.get(func_index).map(str::to_string),
                    module_offset: offset.map(|o| o as usize),
                    func_offset: offset.and_then(|o| {
                        let start = *info.func_body_offsets.get(defined as usize)?;
                        Some(o.checked_sub(start)? as usize)
                    }),
                });
            }
        }
        Trap { code, frames }
    }
}

/// Turns the reason wasm stopped into the error the host sees.
pub(crate) fn from_reason(store: &mut StoreOpaque, reason: TrapReason) -> anyhow::Error {
    match reason {
        TrapReason::Wasm { code, pcs } => {
            if code == TrapCode::OutOfFuel {
                // The fuel variable of the trapping function was not written
                // back: what is left is nothing.
                store.vm.fuel_consumed = 0;
            }
            Trap::capture(store, code, &pcs).into()
        }
        TrapReason::Host(error) => error,
        TrapReason::Panic(payload) => std::panic::resume_unwind(payload),
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code.message())?;
        if !self.frames.is_empty() {
            write!(f, "\nwasm backtrace:")?;
            for (i, frame) in self.frames.iter().enumerate() {
                write!(f, "\n  {i:>3}: ")?;
                if let Some(offset) = frame.module_offset {
                    write!(f, "{offset:#8x} - ")?;
                }
                if let Some(module) = &frame.module_name {
                    write!(f, "{module}!")?;
                }
                match &frame.func_name {
                    Some(name) => write!(f, "{name}")?,
                    None => write!(f, "<wasm function {}>", frame.func_index)?,
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
