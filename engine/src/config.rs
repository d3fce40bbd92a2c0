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
    pub(crate) bulk_memory: bool,
    pub(crate) reference_types: bool,
    pub(crate) multi_value: bool,
    /// Proposals asked for that Kiln does not implement (named in
    /// validation errors).
    pub(crate) unsupported_proposals: Vec<&'static str>,
    pub(crate) opt_level: OptLevel,
    pub(crate) debug_verifier: bool,
    pub(crate) nan_canonicalization: bool,
    pub(crate) cranelift_flags: Vec<(String, String)>,
    pub(crate) memory_init_cow: bool,
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    /// The target to compile for; `None` is the host.
    pub(crate) target: Option<target_lexicon::Triple>,
    pub(crate) profiler: ProfilingStrategy,
    pub(crate) inlining: bool,
}

/// How compiled code is made visible to a profiler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProfilingStrategy {
    /// None (the default).
    #[default]
    None,
    /// Every module's functions and trampolines are appended, as they
    /// load, to `/tmp/perf-<pid>.map`, the file Linux `perf` reads to name
    /// code it has no symbols for (`perf report` then shows
    /// `wasm[<module>]::function[<index>]::<name>`).
    PerfMap,
}

/// How hard Cranelift optimizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    /// No optimizations.
    None,
    /// Optimize for speed (the default).
    #[default]
    Speed,
    /// Optimize for speed and code size.
    SpeedAndSize,
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
    pub(crate) max_memories_per_module: u32,
    pub(crate) max_tables_per_module: u32,
    pub(crate) max_core_instance_size: usize,
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
            max_memories_per_module: 1,
            max_tables_per_module: u32::MAX,
            max_core_instance_size: usize::MAX,
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

    /// The most memories a module may define (imported ones do not
    /// count) to be instantiated in the pool. Default 1 (Kiln has no
    /// multi-memory, so no module defines more).
    pub fn max_memories_per_module(&mut self, count: u32) -> &mut Self {
        self.max_memories_per_module = count;
        self
    }

    /// The most tables a module may define (imported ones do not count)
    /// to be instantiated in the pool. Default: no limit but
    /// `total_tables`.
    pub fn max_tables_per_module(&mut self, count: u32) -> &mut Self {
        self.max_tables_per_module = count;
        self
    }

    /// The largest VMContext (an instance's state: its globals, pointers
    /// to its memories and tables, imported functions) of a module to be
    /// instantiated in the pool, in bytes. Default: no limit.
    pub fn max_core_instance_size(&mut self, bytes: usize) -> &mut Self {
        self.max_core_instance_size = bytes;
        self
    }

    /// Most memories a module may define.
    pub fn get_max_memories_per_module(&self) -> u32 {
        self.max_memories_per_module
    }

    /// Most tables a module may define.
    pub fn get_max_tables_per_module(&self) -> u32 {
        self.max_tables_per_module
    }

    /// Largest VMContext, in bytes.
    pub fn get_max_core_instance_size(&self) -> usize {
        self.max_core_instance_size
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
            bulk_memory: true,
            reference_types: true,
            multi_value: true,
            unsupported_proposals: Vec::new(),
            opt_level: OptLevel::Speed,
            debug_verifier: cfg!(debug_assertions),
            nan_canonicalization: false,
            cranelift_flags: Vec::new(),
            memory_init_cow: true,
            cache_dir: None,
            target: None,
            profiler: ProfilingStrategy::None,
            inlining: true,
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

    /// Makes compiled code visible to a profiler (see
    /// [`ProfilingStrategy`]); off by default.
    pub fn profiler(&mut self, strategy: ProfilingStrategy) -> &mut Config {
        self.profiler = strategy;
        self
    }

    /// Whether calls to small functions (at most
    /// [`INLINE_MAX_BODY`](crate::INLINE_MAX_BODY) bytes of body) are
    /// compiled as a copy of the callee's body instead of a call; one
    /// level deep, so a recursive function is inlined into itself once.
    /// Default true. Traps and backtraces are unchanged: an inlined
    /// function's frame still appears, at its own offsets.
    pub fn inlining(&mut self, enable: bool) -> &mut Config {
        self.inlining = enable;
        self
    }

    /// Whether calls to small functions are inlined (see
    /// [`Config::inlining`]).
    pub fn get_inlining(&self) -> bool {
        self.inlining
    }

    /// Whether functions are compiled on several threads. Default true.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Config {
        self.parallel_compilation = enable;
        self
    }

    /// Keeps compiled modules on disk in `dir` (created if missing), keyed
    /// by a hash of the module's bytes, the Kiln version, the target and
    /// the compilation settings: `Module::new` on a module seen before, by
    /// any engine configured the same way, loads it instead of compiling.
    /// A damaged cache file is recompiled and replaced. `None` (the
    /// default) turns the cache off. The directory must be writable only
    /// by users trusted to supply machine code.
    pub fn cache_dir(&mut self, dir: Option<impl Into<std::path::PathBuf>>) -> &mut Config {
        self.cache_dir = dir.map(Into::into);
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

    /// Whether the bulk memory proposal (`memory.copy`/`fill`/`init`,
    /// passive segments) is accepted. Default true.
    pub fn wasm_bulk_memory(&mut self, enable: bool) -> &mut Config {
        self.bulk_memory = enable;
        self
    }

    /// Whether the reference types proposal (`externref`, several tables,
    /// `table.*` instructions) is accepted. Default true.
    pub fn wasm_reference_types(&mut self, enable: bool) -> &mut Config {
        self.reference_types = enable;
        self
    }

    /// Whether multi-value (several results, block parameters) is
    /// accepted. Default true.
    pub fn wasm_multi_value(&mut self, enable: bool) -> &mut Config {
        self.multi_value = enable;
        self
    }

    /// Asks for a proposal Kiln does not implement (`"simd"`, `"threads"`,
    /// ...): modules using it still fail validation, with an error that
    /// says Kiln lacks it; disabling it changes nothing.
    pub fn wasm_unsupported_proposal(&mut self, name: &'static str, enable: bool) -> &mut Config {
        self.unsupported_proposals.retain(|p| *p != name);
        if enable {
            self.unsupported_proposals.push(name);
        }
        self
    }

    /// The WebAssembly features modules are validated with.
    pub fn wasm_features(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as F;
        let mut features = crate::module_info::features();
        features.set(F::BULK_MEMORY, self.bulk_memory);
        features.set(F::REFERENCE_TYPES, self.reference_types);
        features.set(F::MULTI_VALUE, self.multi_value);
        features
    }

    /// Cranelift's optimization level. Default [`OptLevel::Speed`].
    pub fn cranelift_opt_level(&mut self, level: OptLevel) -> &mut Config {
        self.opt_level = level;
        self
    }

    /// Whether Cranelift verifies its IR between passes (slow; default on
    /// only in debug builds of Kiln).
    pub fn cranelift_debug_verifier(&mut self, enable: bool) -> &mut Config {
        self.debug_verifier = enable;
        self
    }

    /// Whether float results are canonicalized to one NaN bit pattern, for
    /// deterministic execution. Default false.
    pub fn cranelift_nan_canonicalization(&mut self, enable: bool) -> &mut Config {
        self.nan_canonicalization = enable;
        self
    }

    /// Sets a Cranelift setting by name: a target ISA setting (such as
    /// `has_avx2` on x86-64 or `has_lse` on aarch64) or a shared one (as
    /// `cranelift_codegen::settings` names them); an unknown name or value
    /// fails `Engine::new`.
    pub fn cranelift_flag_set(&mut self, name: &str, value: &str) -> &mut Config {
        self.cranelift_flags
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Compiles for `target` (a target triple such as
    /// `aarch64-unknown-linux-gnu`) instead of the host. An engine for
    /// another architecture compiles and serializes modules
    /// ([`Engine::precompile_module`](crate::Engine::precompile_module),
    /// [`Module::serialize`](crate::Module::serialize)) for an engine on
    /// that machine to load, but cannot run them: instantiating fails.
    /// Its code assumes only the architecture's baseline CPU features;
    /// [`Config::cranelift_flag_set`] enables more (`has_lse`, `has_avx2`).
    ///
    /// # Errors
    ///
    /// `target` is not a valid triple, or names an architecture Kiln does
    /// not compile for.
    pub fn target(&mut self, target: &str) -> anyhow::Result<&mut Config> {
        let triple = target
            .parse::<target_lexicon::Triple>()
            .map_err(|e| anyhow::anyhow!("invalid target triple `{target}`: {e}"))?;
        let arch = triple.architecture;
        anyhow::ensure!(
            matches!(
                arch,
                target_lexicon::Architecture::X86_64
                    | target_lexicon::Architecture::Aarch64(
                        target_lexicon::Aarch64Architecture::Aarch64
                    )
            ) && cranelift_codegen::isa::lookup(triple.clone()).is_ok(),
            "Kiln compiles for x86_64 and aarch64, not for {arch} (target `{target}`)"
        );
        self.target = Some(triple);
        Ok(self)
    }

    /// Whether memory images are mapped copy-on-write at instantiation
    /// (the default) rather than copied.
    pub fn memory_init_cow(&mut self, enable: bool) -> &mut Config {
        self.memory_init_cow = enable;
        self
    }

    /// Whether memory images are mapped copy-on-write.
    pub fn get_memory_init_cow(&self) -> bool {
        self.memory_init_cow
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
    #[inline]
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
