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
    pub(crate) allocation_strategy: InstanceAllocationStrategy,
}

/// How a store's instances get their memories.
#[derive(Clone, Debug, Default)]
pub enum InstanceAllocationStrategy {
    /// Each memory is mapped when its instance is created and unmapped
    /// when the store is dropped.
    #[default]
    OnDemand,
    /// Memory slots are reserved once per engine and reused: a freed slot
    /// is reset (its dirtied pages dropped back to zero or to the module's
    /// memory image) instead of unmapped.
    Pooling(PoolingAllocationConfig),
}

impl InstanceAllocationStrategy {
    /// Pooling allocation with `config`.
    pub fn pooling(config: PoolingAllocationConfig) -> Self {
        InstanceAllocationStrategy::Pooling(config)
    }
}

/// Limits of the pooling allocator: how many slots are reserved up front
/// and how large each may grow.
#[derive(Clone, Debug)]
pub struct PoolingAllocationConfig {
    pub(crate) total_memories: u32,
    pub(crate) total_core_instances: u32,
    pub(crate) max_memory_size: u64,
    pub(crate) linear_memory_keep_resident: usize,
    pub(crate) total_tables: u32,
    pub(crate) table_elements: usize,
    pub(crate) table_keep_resident: usize,
}

impl Default for PoolingAllocationConfig {
    fn default() -> Self {
        PoolingAllocationConfig {
            total_memories: 1000,
            total_core_instances: 1000,
            max_memory_size: 1 << 32,
            linear_memory_keep_resident: 64 << 10,
            total_tables: 1000,
            table_elements: 20_000,
            table_keep_resident: 0,
        }
    }
}

impl PoolingAllocationConfig {
    /// Default limits: 1,000 instances, 1,000 memories of up to 4 GiB and
    /// 1,000 tables of up to 20,000 elements.
    pub fn new() -> Self {
        Self::default()
    }

    /// Memory slots reserved (each takes the configured reservation plus
    /// guard in address space, not in RAM). Default 1,000.
    pub fn total_memories(&mut self, count: u32) -> &mut Self {
        self.total_memories = count;
        self
    }

    /// Instances that may be live at once across the engine's stores.
    /// Default 1,000.
    pub fn total_core_instances(&mut self, count: u32) -> &mut Self {
        self.total_core_instances = count;
        self
    }

    /// The largest a pooled memory may grow, in bytes (rounded down to
    /// whole pages). Default 4 GiB.
    pub fn max_memory_size(&mut self, bytes: u64) -> &mut Self {
        self.max_memory_size = bytes;
        self
    }

    /// A freed memory whose written pages add up to at most this many
    /// bytes is reset by copying those pages back (they stay resident);
    /// above it, its written pages are returned to the kernel with
    /// `madvise`, whose TLB shootdowns interrupt every thread of the
    /// process. Default 64 KiB.
    pub fn linear_memory_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.linear_memory_keep_resident = bytes;
        self
    }

    /// Table slots reserved (each takes `table_elements` pointers of
    /// address space, committed only as elements are written). Default
    /// 1,000.
    pub fn total_tables(&mut self, count: u32) -> &mut Self {
        self.total_tables = count;
        self
    }

    /// The most elements a pooled table may have, initially or by
    /// growing. Default 20,000.
    pub fn table_elements(&mut self, count: usize) -> &mut Self {
        self.table_elements = count;
        self
    }

    /// Bytes of each freed table that are reset with `memset` (staying
    /// resident) instead of being returned to the kernel; a dirty range
    /// within one page is always reset with `memset`. Default 0.
    pub fn table_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.table_keep_resident = bytes;
        self
    }

    /// Table slots reserved.
    pub fn get_total_tables(&self) -> u32 {
        self.total_tables
    }

    /// Most elements of a pooled table.
    pub fn get_table_elements(&self) -> usize {
        self.table_elements
    }

    /// Bytes kept resident per freed table.
    pub fn get_table_keep_resident(&self) -> usize {
        self.table_keep_resident
    }

    /// Memory slots reserved.
    pub fn get_total_memories(&self) -> u32 {
        self.total_memories
    }

    /// Live instances allowed.
    pub fn get_total_core_instances(&self) -> u32 {
        self.total_core_instances
    }

    /// Largest memory, in bytes.
    pub fn get_max_memory_size(&self) -> u64 {
        self.max_memory_size
    }

    /// Bytes kept resident per freed memory.
    pub fn get_linear_memory_keep_resident(&self) -> usize {
        self.linear_memory_keep_resident
    }
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
            allocation_strategy: InstanceAllocationStrategy::OnDemand,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// How instances get their memories: on demand (the default) or from
    /// a pool reserved once per engine.
    pub fn allocation_strategy(&mut self, strategy: InstanceAllocationStrategy) -> &mut Config {
        self.allocation_strategy = strategy;
        self
    }

    /// The allocation strategy.
    pub fn get_allocation_strategy(&self) -> &InstanceAllocationStrategy {
        &self.allocation_strategy
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
