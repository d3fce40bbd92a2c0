//! `wasmtime/engine.h`, `wasmtime/config.h` and the engine and config
//! parts of `wasm.h`.

use crate::error::wasmtime_error_t;
use crate::ffi::c_str;
use kiln_runtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
    ProfilingStrategy,
};
use std::ffi::c_char;

/// An engine configuration: consumed by `wasm_engine_new_with_config`.
pub struct wasm_config_t {
    pub(crate) config: Config,
    /// Asked for the Winch compiler, which Kiln does not have.
    winch: bool,
    /// Asked for traps without signal handlers, which Kiln does not have.
    no_signals: bool,
    /// Asked for a profiler Kiln does not have (its name).
    unsupported_profiler: Option<&'static str>,
}

/// An engine: shared by everything compiled and run with it.
pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

/// The pooling allocator's limits (`wasmtime_pooling_allocation_config_t`).
pub struct wasmtime_pooling_allocation_config_t {
    config: PoolingAllocationConfig,
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_config_new() -> Box<wasm_config_t> {
    Box::new(wasm_config_t {
        config: Config::new(),
        winch: false,
        no_signals: false,
        unsupported_profiler: None,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_config_delete(config: Option<Box<wasm_config_t>>) {
    drop(config);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_new() -> Box<wasm_engine_t> {
    let engine = Engine::new(&Config::new()).unwrap_or_else(|e| {
        eprintln!("kiln: cannot create an engine for this host: {e:#}");
        std::process::abort()
    });
    Box::new(wasm_engine_t { engine })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_new_with_config(
    config: Box<wasm_config_t>,
) -> Option<Box<wasm_engine_t>> {
    if config.winch {
        eprintln!("kiln: the Winch compiler is not available; Kiln compiles with Cranelift");
        return None;
    }
    if let Some(profiler) = config.unsupported_profiler {
        eprintln!("kiln: the {profiler} profiler is not available; Kiln has the perf map");
        return None;
    }
    if config.no_signals {
        eprintln!(
            "kiln: traps without signal handlers are not available; Kiln's traps \
             (out-of-bounds accesses, stack overflow) are signal-based"
        );
        return None;
    }
    match Engine::new(&config.config) {
        Ok(engine) => Some(Box::new(wasm_engine_t { engine })),
        Err(e) => {
            eprintln!("kiln: invalid engine configuration: {e:#}");
            None
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_engine_delete(engine: Option<Box<wasm_engine_t>>) {
    drop(engine);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_engine_clone(engine: &wasm_engine_t) -> Box<wasm_engine_t> {
    Box::new(wasm_engine_t {
        engine: engine.engine.clone(),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_engine_increment_epoch(engine: &wasm_engine_t) {
    engine.engine.increment_epoch();
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_engine_is_pulley(_engine: &wasm_engine_t) -> bool {
    // Kiln compiles to native code only; it has no Pulley interpreter.
    false
}

/// Defines `wasmtime_config_<name>_set(config, bool)` over a `Config`
/// method.
macro_rules! bool_setters {
    ($($c:ident => $method:ident;)*) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $c(config: &mut wasm_config_t, enable: bool) {
            config.config.$method(enable);
        }
    )*};
}

bool_setters! {
    wasmtime_config_consume_fuel_set => consume_fuel;
    wasmtime_config_epoch_interruption_set => epoch_interruption;
    wasmtime_config_parallel_compilation_set => parallel_compilation;
    wasmtime_config_wasm_bulk_memory_set => wasm_bulk_memory;
    wasmtime_config_wasm_reference_types_set => wasm_reference_types;
    wasmtime_config_wasm_multi_value_set => wasm_multi_value;
    wasmtime_config_cranelift_debug_verifier_set => cranelift_debug_verifier;
    wasmtime_config_cranelift_nan_canonicalization_set => cranelift_nan_canonicalization;
    wasmtime_config_memory_init_cow_set => memory_init_cow;
}

/// Defines setters for proposals Kiln does not implement: recorded, so
/// that a module using one fails validation with an error naming it.
macro_rules! unsupported_proposals {
    ($($c:ident => $name:literal;)*) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $c(config: &mut wasm_config_t, enable: bool) {
            config.config.wasm_unsupported_proposal($name, enable);
        }
    )*};
}

unsupported_proposals! {
    wasmtime_config_wasm_threads_set => "threads";
    wasmtime_config_wasm_tail_call_set => "tail-call";
    wasmtime_config_wasm_function_references_set => "function-references";
    wasmtime_config_wasm_gc_set => "gc";
    wasmtime_config_wasm_simd_set => "simd";
    wasmtime_config_wasm_relaxed_simd_set => "relaxed-simd";
    wasmtime_config_wasm_multi_memory_set => "multi-memory";
    wasmtime_config_wasm_memory64_set => "memory64";
    wasmtime_config_wasm_wide_arithmetic_set => "wide-arithmetic";
    wasmtime_config_wasm_exceptions_set => "exceptions";
    wasmtime_config_wasm_custom_page_sizes_set => "custom-page-sizes";
    wasmtime_config_wasm_compact_imports_set => "compact-imports";
    wasmtime_config_wasm_stack_switching_set => "stack-switching";
    wasmtime_config_gc_support_set => "gc";
    wasmtime_config_shared_memory_set => "threads";
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_wasm_branch_hinting_set(
    _config: &mut wasm_config_t,
    _enable: bool,
) {
    // Branch hints are advisory by the proposal's definition: they may be
    // ignored and never change what a module computes. Kiln's code does
    // not use them, and their custom section is accepted either way.
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_macos_use_mach_ports_set(
    _config: &mut wasm_config_t,
    _enable: bool,
) {
    // macOS only, as in Wasmtime: on Linux, Kiln's only platform, traps are
    // always caught with signal handlers.
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_signals_based_traps_set(
    config: &mut wasm_config_t,
    enable: bool,
) {
    // The default, `true`, is what Kiln does; `false` makes
    // `wasm_engine_new_with_config` fail.
    config.no_signals = !enable;
}

/// `WASMTIME_REGALLOC_BACKTRACKING` and `WASMTIME_REGALLOC_SINGLE_PASS`.
const REGALLOC_ALGORITHMS: [&str; 2] = ["backtracking", "single_pass"];

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_cranelift_regalloc_algorithm_set(
    config: &mut wasm_config_t,
    algorithm: u8,
) {
    // An unknown value is passed on as itself, so that engine creation
    // fails naming it.
    let name = REGALLOC_ALGORITHMS.get(usize::from(algorithm)).map_or_else(
        || format!("unknown regalloc algorithm {algorithm}"),
        |n| n.to_string(),
    );
    config
        .config
        .cranelift_flag_set("regalloc_algorithm", &name);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_wasm_relaxed_simd_deterministic_set(
    _config: &mut wasm_config_t,
    _enable: bool,
) {
    // Only affects relaxed SIMD instructions, which Kiln rejects.
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_memory_may_move_set(_config: &mut wasm_config_t, _enable: bool) {
    // A permission, not a request: Kiln never moves a linear memory (it
    // grows in place within its reservation), which satisfies both values.
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_max_wasm_stack_set(config: &mut wasm_config_t, size: usize) {
    config.config.max_wasm_stack(size);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_memory_reservation_set(config: &mut wasm_config_t, size: u64) {
    config.config.memory_reservation(size);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_memory_guard_size_set(config: &mut wasm_config_t, size: u64) {
    config.config.memory_guard_size(size);
}

/// `WASMTIME_STRATEGY_WINCH`.
const STRATEGY_WINCH: u8 = 2;

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_strategy_set(config: &mut wasm_config_t, strategy: u8) {
    // AUTO and CRANELIFT are Kiln's one compiler; WINCH makes
    // `wasm_engine_new_with_config` fail.
    config.winch = strategy == STRATEGY_WINCH;
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_profiler_set(config: &mut wasm_config_t, strategy: u8) {
    // WASMTIME_PROFILING_STRATEGY_{NONE, JITDUMP, VTUNE, PERFMAP}.
    let (profiler, unsupported) = match strategy {
        0 => (ProfilingStrategy::None, None),
        3 => (ProfilingStrategy::PerfMap, None),
        1 => (ProfilingStrategy::None, Some("jitdump")),
        2 => (ProfilingStrategy::None, Some("VTune")),
        _ => (ProfilingStrategy::None, Some("unknown")),
    };
    config.config.profiler(profiler);
    config.unsupported_profiler = unsupported;
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_config_cranelift_opt_level_set(config: &mut wasm_config_t, level: u8) {
    let level = match level {
        0 => OptLevel::None,
        2 => OptLevel::SpeedAndSize,
        _ => OptLevel::Speed,
    };
    config.config.cranelift_opt_level(level);
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_config_cranelift_flag_enable(
    config: &mut wasm_config_t,
    flag: *const c_char,
) {
    // SAFETY: a C string (the header's contract).
    let flag = unsafe { c_str(flag, "flag name") };
    config.config.cranelift_flag_set(&flag, "true");
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_config_cranelift_flag_set(
    config: &mut wasm_config_t,
    key: *const c_char,
    value: *const c_char,
) {
    // SAFETY: C strings (the header's contract).
    let (key, value) = unsafe { (c_str(key, "flag name"), c_str(value, "flag value")) };
    config.config.cranelift_flag_set(&key, &value);
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_config_cache_config_load(
    config: &mut wasm_config_t,
    path: *const c_char,
) -> Option<Box<wasmtime_error_t>> {
    let dir = if path.is_null() {
        default_cache_dir()
    } else {
        // SAFETY: a C string (the header's contract).
        let path = unsafe { c_str(path, "cache configuration path") };
        std::fs::read_to_string(&*path)
            .map_err(anyhow::Error::from)
            .and_then(|text| cache_dir_from_toml(&text))
            .map_err(|e| e.context(format!("failed to load cache configuration `{path}`")))
    };
    crate::error::to_c(dir.map(|dir| {
        config.config.cache_dir(dir);
    }))
}

/// `$XDG_CACHE_HOME/kiln`, or `$HOME/.cache/kiln`.
fn default_cache_dir() -> anyhow::Result<Option<std::path::PathBuf>> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))
        .ok_or_else(|| {
            anyhow::anyhow!("no cache directory: neither XDG_CACHE_HOME nor HOME is set")
        })?;
    Ok(Some(base.join("kiln")))
}

/// Reads the cache directory from a Wasmtime cache configuration file:
/// a `[cache]` table with `directory = "..."` (and optionally `enabled`).
/// Wasmtime's cleanup keys are accepted and ignored (Kiln's cache does not
/// clean up on its own); anything else is an error naming the key.
fn cache_dir_from_toml(text: &str) -> anyhow::Result<Option<std::path::PathBuf>> {
    use anyhow::{bail, ensure};
    const CLEANUP_KEYS: &[&str] = &[
        "worker-event-queue-size",
        "baseline-compression-level",
        "optimized-compression-level",
        "optimized-compression-usage-counter-threshold",
        "cleanup-interval",
        "optimizing-compression-task-timeout",
        "allowed-clock-drift-for-files-from-future",
        "file-count-soft-limit",
        "files-total-size-soft-limit",
        "file-count-limit-percent-if-deleting",
        "files-total-size-limit-percent-if-deleting",
    ];
    let (mut in_cache, mut seen_cache) = (false, false);
    let (mut enabled, mut directory) = (true, None);
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split_once('#').map_or(raw, |(l, _)| l).trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("line {}", n + 1);
        if let Some(table) = line.strip_prefix('[') {
            let table = table.strip_suffix(']').map(str::trim);
            in_cache = table == Some("cache");
            seen_cache |= in_cache;
            ensure!(
                in_cache,
                "{}: unknown table `{line}` (expected `[cache]`)",
                at()
            );
            continue;
        }
        ensure!(
            in_cache,
            "{}: settings must be in the `[cache]` table",
            at()
        );
        let Some((key, value)) = line.split_once('=') else {
            bail!("{}: expected `key = value`", at());
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "enabled" => {
                enabled = match value {
                    "true" => true,
                    "false" => false,
                    _ => bail!("{}: `enabled` must be true or false", at()),
                }
            }
            "directory" => {
                let Some(s) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
                    bail!("{}: `directory` must be a string", at());
                };
                ensure!(
                    !s.contains('\\'),
                    "{}: escapes in `directory` are not supported",
                    at()
                );
                directory = Some(std::path::PathBuf::from(s));
            }
            k if CLEANUP_KEYS.contains(&k) => {}
            k => bail!("{}: unknown cache setting `{k}`", at()),
        }
    }
    ensure!(seen_cache, "no `[cache]` table");
    if !enabled {
        return Ok(None);
    }
    match directory {
        Some(dir) => Ok(Some(dir)),
        None => default_cache_dir(),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_config_target_set(
    config: &mut wasm_config_t,
    target: *const c_char,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a C string (the header's contract).
    let target = unsafe { c_str(target, "target triple") };
    config
        .config
        .target(&target)
        .err()
        .map(crate::error::new_error)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_pooling_allocation_config_new()
-> Box<wasmtime_pooling_allocation_config_t> {
    Box::new(wasmtime_pooling_allocation_config_t {
        config: PoolingAllocationConfig::new(),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_pooling_allocation_config_delete(
    config: Option<Box<wasmtime_pooling_allocation_config_t>>,
) {
    drop(config);
}

/// Defines pooling-config setters over `PoolingAllocationConfig` methods.
macro_rules! pooling_setters {
    ($($c:ident($ty:ty) => $method:ident as $target:ty;)*) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $c(config: &mut wasmtime_pooling_allocation_config_t, value: $ty) {
            config.config.$method(<$target>::try_from(value).unwrap_or(<$target>::MAX));
        }
    )*};
}

pooling_setters! {
    wasmtime_pooling_allocation_config_total_memories_set(u32) => total_memories as u32;
    wasmtime_pooling_allocation_config_total_tables_set(u32) => total_tables as u32;
    wasmtime_pooling_allocation_config_total_core_instances_set(u32) => total_core_instances as u32;
    wasmtime_pooling_allocation_config_table_elements_set(usize) => table_elements as usize;
    wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(usize) => linear_memory_keep_resident as usize;
    wasmtime_pooling_allocation_config_table_keep_resident_set(usize) => table_keep_resident as usize;
    wasmtime_pooling_allocation_config_max_memory_size_set(usize) => max_memory_size as u64;
    wasmtime_pooling_allocation_config_max_memories_per_module_set(u32) => max_memories_per_module as u32;
    wasmtime_pooling_allocation_config_max_tables_per_module_set(u32) => max_tables_per_module as u32;
    wasmtime_pooling_allocation_config_max_core_instance_size_set(usize) => max_core_instance_size as usize;
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_pooling_allocation_strategy_set(
    config: &mut wasm_config_t,
    pooling: &wasmtime_pooling_allocation_config_t,
) {
    config
        .config
        .allocation_strategy(InstanceAllocationStrategy::pooling(pooling.config.clone()));
}

#[cfg(test)]
mod tests {
    use super::cache_dir_from_toml;
    use std::path::PathBuf;

    #[test]
    fn cache_configuration_files() {
        let dir = cache_dir_from_toml("[cache]\ndirectory = \"/tmp/k\" # here\n").unwrap();
        assert_eq!(dir, Some(PathBuf::from("/tmp/k")));
        let off = cache_dir_from_toml("[cache]\nenabled = false\ndirectory = \"/x\"").unwrap();
        assert_eq!(off, None);
        let ignored = "[cache]\ncleanup-interval = \"30m\"\ndirectory = \"/y\"";
        assert_eq!(
            cache_dir_from_toml(ignored).unwrap(),
            Some(PathBuf::from("/y"))
        );
        for bad in [
            "",
            "[other]\n",
            "[cache]\nsize = 3",
            "[cache]\ndirectory = 3",
            "x = 1",
        ] {
            assert!(cache_dir_from_toml(bad).is_err(), "{bad:?}");
        }
    }
}
