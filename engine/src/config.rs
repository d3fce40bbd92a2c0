//! `Config`: the knobs of an engine, fixed when the [`Engine`](crate::Engine)
//! is created.

/// Global configuration of an [`Engine`](crate::Engine).
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) max_wasm_stack: usize,
    pub(crate) memory_reservation: u64,
    pub(crate) memory_guard_size: u64,
    pub(crate) parallel_compilation: bool,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_wasm_stack: 512 * 1024,
            memory_reservation: 1 << 32,
            memory_guard_size: 2 << 30,
            parallel_compilation: true,
            consume_fuel: false,
            epoch_interruption: false,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// Maximum stack, in bytes, wasm code may use before a call traps with
    /// a stack overflow. Default 512 KiB.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// Bytes of address space reserved per 32-bit linear memory. At 4 GiB
    /// (the default) and with a guard region, loads and stores need no
    /// bounds-check instructions; below that, every access is checked.
    pub fn memory_reservation(&mut self, bytes: u64) -> &mut Config {
        self.memory_reservation = bytes;
        self
    }

    /// Bytes of inaccessible guard region after each memory's reservation.
    /// Accesses whose static offset reaches past the guard are checked
    /// explicitly. Default 2 GiB; 0 turns guard-based checks off.
    pub fn memory_guard_size(&mut self, bytes: u64) -> &mut Config {
        self.memory_guard_size = bytes;
        self
    }

    /// Whether functions are compiled on several threads. Default true.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Config {
        self.parallel_compilation = enable;
        self
    }

    /// Whether compiled code counts fuel (one unit per instruction, roughly)
    /// and traps with "all fuel consumed" when a store's fuel runs out.
    /// Default false.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.consume_fuel = enable;
        self
    }

    /// Whether compiled code checks the engine's epoch against the store's
    /// deadline at function entries and loop headers, trapping with
    /// "interrupt" once it is reached. Default false.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.epoch_interruption = enable;
        self
    }

    /// Whether fuel is consumed.
    pub fn get_consume_fuel(&self) -> bool {
        self.consume_fuel
    }

    /// Whether epoch interruption is on.
    pub fn get_epoch_interruption(&self) -> bool {
        self.epoch_interruption
    }

    /// The configured maximum wasm stack.
    pub fn get_max_wasm_stack(&self) -> usize {
        self.max_wasm_stack
    }

    /// The configured memory reservation.
    pub fn get_memory_reservation(&self) -> u64 {
        self.memory_reservation
    }

    /// The configured guard size.
    pub fn get_memory_guard_size(&self) -> u64 {
        self.memory_guard_size
    }
}
