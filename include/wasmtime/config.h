/**
 * \file wasmtime/config.h
 *
 * \brief Kiln's settings on `wasm_config_t`, named as Wasmtime names them.
 *
 * A configuration is made with #wasm_config_new, adjusted with the
 * functions here, and consumed by #wasm_engine_new_with_config. Settings
 * Kiln cannot honour are not declared (debug info, the compile
 * cache, custom memory creators, WASI, components, async, shared memory,
 * GC support, register allocator choice, native unwind info, turning off
 * signal-based traps, macOS Mach ports).
 */
#ifndef WASMTIME_CONFIG_H
#define WASMTIME_CONFIG_H

#include <wasm.h>
#include <wasmtime/conf.h>
#include <wasmtime/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/// \brief Which compiler translates wasm (#WASMTIME_STRATEGY_AUTO, ...).
typedef uint8_t wasmtime_strategy_t;

/// \brief Values of #wasmtime_strategy_t.
enum wasmtime_strategy_enum {
  /// The engine's choice: Cranelift.
  WASMTIME_STRATEGY_AUTO,
  /// Cranelift, Kiln's one compiler.
  WASMTIME_STRATEGY_CRANELIFT,
  /// Winch: not available in Kiln; an engine configured with it is not
  /// created (#wasm_engine_new_with_config returns NULL).
  WASMTIME_STRATEGY_WINCH,
};

/// \brief Which profiler compiled code is shown to
/// (#WASMTIME_PROFILING_STRATEGY_NONE, ...).
typedef uint8_t wasmtime_profiling_strategy_t;

/// \brief Values of #wasmtime_profiling_strategy_t.
enum wasmtime_profiling_strategy_enum {
  /// None (the default).
  WASMTIME_PROFILING_STRATEGY_NONE,
  /// `perf`'s jitdump files: not available in Kiln; an engine configured
  /// with it is not created (#wasm_engine_new_with_config returns NULL).
  WASMTIME_PROFILING_STRATEGY_JITDUMP,
  /// VTune: not available in Kiln, as for jitdump.
  WASMTIME_PROFILING_STRATEGY_VTUNE,
  /// `perf`'s map file: every function and trampoline is appended to
  /// `/tmp/perf-<pid>.map` as its module loads, so `perf report` names
  /// compiled code.
  WASMTIME_PROFILING_STRATEGY_PERFMAP,
};

/// \brief How hard Cranelift optimizes (#WASMTIME_OPT_LEVEL_SPEED, ...).
typedef uint8_t wasmtime_opt_level_t;

/// \brief Values of #wasmtime_opt_level_t.
enum wasmtime_opt_level_enum {
  /// No optimization.
  WASMTIME_OPT_LEVEL_NONE,
  /// Optimize for speed (the default).
  WASMTIME_OPT_LEVEL_SPEED,
  /// Optimize for speed and code size.
  WASMTIME_OPT_LEVEL_SPEED_AND_SIZE,
};

/// \brief Cranelift's register allocator
/// (#WASMTIME_REGALLOC_BACKTRACKING, ...).
typedef uint8_t wasmtime_regalloc_algorithm_t;

/// \brief Values of #wasmtime_regalloc_algorithm_t.
enum wasmtime_regalloc_algorithm_enum {
  /// Backtracking with range splitting: the best code, the slowest
  /// compilation (the default).
  WASMTIME_REGALLOC_BACKTRACKING,
  /// One pass: quick compilation, more spills and moves in the code.
  WASMTIME_REGALLOC_SINGLE_PASS,
};

/**
 * \brief Whether compiled code counts fuel (default false).
 *
 * With fuel on, a store starts with none: give it some with
 * #wasmtime_context_set_fuel. Wasm that runs out traps with
 * #WASMTIME_TRAP_CODE_OUT_OF_FUEL.
 */
WASM_API_EXTERN void wasmtime_config_consume_fuel_set(wasm_config_t *,
                                                      bool);

/**
 * \brief Whether compiled code checks the engine's epoch at function
 * entries and loop headers (default false).
 *
 * See #wasmtime_context_set_epoch_deadline and
 * #wasmtime_engine_increment_epoch.
 */
WASM_API_EXTERN void wasmtime_config_epoch_interruption_set(wasm_config_t *,
                                                            bool);

/**
 * \brief The most stack, in bytes, wasm may use before a call traps with
 * #WASMTIME_TRAP_CODE_STACK_OVERFLOW (default 512 KiB).
 */
WASM_API_EXTERN void wasmtime_config_max_wasm_stack_set(wasm_config_t *,
                                                        size_t);

/// \brief Whether the bulk-memory proposal is accepted (default true).
WASM_API_EXTERN void wasmtime_config_wasm_bulk_memory_set(wasm_config_t *,
                                                          bool);

/// \brief Whether the reference-types proposal is accepted (default true).
WASM_API_EXTERN void
wasmtime_config_wasm_reference_types_set(wasm_config_t *, bool);

/// \brief Whether multi-value is accepted (default true).
WASM_API_EXTERN void wasmtime_config_wasm_multi_value_set(wasm_config_t *,
                                                          bool);

/**
 * \brief Asks for the threads proposal, which Kiln does not implement.
 *
 * This and the other setters for proposals Kiln lacks (tail calls,
 * function references, GC, SIMD, relaxed SIMD, multi-memory, memory64,
 * wide arithmetic, exceptions, custom page sizes) record the request: a
 * module that uses the proposal fails to compile whatever the setting,
 * and when the proposal was asked for the error says Kiln does not
 * implement it.
 */
WASM_API_EXTERN void wasmtime_config_wasm_threads_set(wasm_config_t *, bool);

/// \brief Asks for tail calls (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_tail_call_set(wasm_config_t *,
                                                        bool);

/// \brief Asks for typed function references (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void
wasmtime_config_wasm_function_references_set(wasm_config_t *, bool);

/// \brief Asks for GC (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_gc_set(wasm_config_t *, bool);

/// \brief Asks for SIMD (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_simd_set(wasm_config_t *, bool);

/// \brief Asks for relaxed SIMD (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_relaxed_simd_set(wasm_config_t *,
                                                           bool);

/// \brief Deterministic relaxed SIMD: without relaxed SIMD in Kiln, has no
/// effect.
WASM_API_EXTERN void
wasmtime_config_wasm_relaxed_simd_deterministic_set(wasm_config_t *, bool);

/// \brief Asks for multi-memory (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_multi_memory_set(wasm_config_t *,
                                                           bool);

/// \brief Asks for memory64 (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_memory64_set(wasm_config_t *,
                                                       bool);

/// \brief Asks for wide arithmetic (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void
wasmtime_config_wasm_wide_arithmetic_set(wasm_config_t *, bool);

/// \brief Asks for exception handling (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void wasmtime_config_wasm_exceptions_set(wasm_config_t *,
                                                         bool);

/// \brief Asks for custom page sizes (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void
wasmtime_config_wasm_custom_page_sizes_set(wasm_config_t *, bool);

/// \brief Asks for compact imports (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void
wasmtime_config_wasm_compact_imports_set(wasm_config_t *, bool);

/// \brief Asks for stack switching (not implemented; see
/// #wasmtime_config_wasm_threads_set).
WASM_API_EXTERN void
wasmtime_config_wasm_stack_switching_set(wasm_config_t *, bool);

/**
 * \brief Asks for GC support, which Kiln does not have: the same as
 * #wasmtime_config_wasm_gc_set (a module using GC types fails to compile
 * with an error naming the proposal).
 */
WASM_API_EXTERN void wasmtime_config_gc_support_set(wasm_config_t *, bool);

/**
 * \brief Asks for shared memories, which need the threads proposal Kiln
 * does not implement: the same as #wasmtime_config_wasm_threads_set.
 */
WASM_API_EXTERN void wasmtime_config_shared_memory_set(wasm_config_t *, bool);

/**
 * \brief Whether branch hints are honoured (default false).
 *
 * Hints are advisory by the proposal's definition and never change what
 * a module computes. Kiln accepts their custom section with either value
 * and does not use them.
 */
WASM_API_EXTERN void
wasmtime_config_wasm_branch_hinting_set(wasm_config_t *, bool);

/**
 * \brief On macOS, whether traps are caught with Mach ports. Like
 * Wasmtime on other platforms, it has no effect on Linux, where Kiln
 * always catches traps with signal handlers.
 */
WASM_API_EXTERN void wasmtime_config_macos_use_mach_ports_set(wasm_config_t *,
                                                              bool);

/**
 * \brief Whether traps are caught with signal handlers (default true).
 *
 * Kiln's traps (out-of-bounds accesses behind guard pages, stack
 * overflow, ...) are signal-based: `false` makes
 * #wasm_engine_new_with_config fail (return NULL).
 */
WASM_API_EXTERN void wasmtime_config_signals_based_traps_set(wasm_config_t *,
                                                             bool);

/**
 * \brief Chooses the compiler. Kiln always uses Cranelift; asking for
 * Winch makes #wasm_engine_new_with_config fail (return NULL).
 */
WASM_API_EXTERN void wasmtime_config_strategy_set(wasm_config_t *,
                                                  wasmtime_strategy_t);

/**
 * \brief Chooses the profiler compiled code is shown to (default
 * #WASMTIME_PROFILING_STRATEGY_NONE). Kiln has the perf map; asking for
 * jitdump or VTune makes #wasm_engine_new_with_config fail (return NULL).
 */
WASM_API_EXTERN void wasmtime_config_profiler_set(wasm_config_t *,
                                                  wasmtime_profiling_strategy_t);

/// \brief Whether functions compile on several threads (default true).
WASM_API_EXTERN void wasmtime_config_parallel_compilation_set(wasm_config_t *,
                                                              bool);

/// \brief Whether Cranelift verifies its IR while compiling (slow).
WASM_API_EXTERN void
wasmtime_config_cranelift_debug_verifier_set(wasm_config_t *, bool);

/// \brief Whether float results are canonicalized to one NaN pattern, for
/// deterministic execution (default false).
WASM_API_EXTERN void
wasmtime_config_cranelift_nan_canonicalization_set(wasm_config_t *, bool);

/// \brief Cranelift's optimization level (default
/// #WASMTIME_OPT_LEVEL_SPEED).
WASM_API_EXTERN void
wasmtime_config_cranelift_opt_level_set(wasm_config_t *, wasmtime_opt_level_t);

/**
 * \brief Cranelift's register allocator (default
 * #WASMTIME_REGALLOC_BACKTRACKING). An unknown value makes
 * #wasm_engine_new_with_config fail.
 */
WASM_API_EXTERN void
wasmtime_config_cranelift_regalloc_algorithm_set(wasm_config_t *,
                                                 wasmtime_regalloc_algorithm_t);

/**
 * \brief Permission for the engine to move a linear memory when it grows.
 *
 * Kiln grows memories in place within their reservation and never moves
 * them, which satisfies either value.
 */
WASM_API_EXTERN void wasmtime_config_memory_may_move_set(wasm_config_t *,
                                                         bool);

/**
 * \brief Bytes of address space reserved for each 32-bit linear memory
 * (default 4 GiB). With 4 GiB and a guard region, loads and stores need
 * no bounds checks; below that every access is checked, and a memory
 * cannot grow past its reservation.
 */
WASM_API_EXTERN void wasmtime_config_memory_reservation_set(wasm_config_t *,
                                                            uint64_t);

/// \brief Bytes of guard region after each memory's reservation (default
/// 2 GiB).
WASM_API_EXTERN void wasmtime_config_memory_guard_size_set(wasm_config_t *,
                                                           uint64_t);

/**
 * \brief Whether memory contents start from a copy-on-write mapping of the
 * module's data (default true); false copies the data segments instead.
 */
WASM_API_EXTERN void wasmtime_config_memory_init_cow_set(wasm_config_t *,
                                                         bool);

/**
 * \brief Turns on the on-disk compile cache, configured by the file at
 * `path` (Wasmtime's cache configuration format), or with the default
 * settings if `path` is NULL.
 *
 * The file is TOML with a `[cache]` table: `directory = "..."` names the
 * cache directory (default `$XDG_CACHE_HOME/kiln`, else
 * `$HOME/.cache/kiln`) and `enabled = false` turns the cache off;
 * Wasmtime's cleanup settings are accepted and ignored. Then
 * `wasmtime_module_new` on a module compiled before, by an engine
 * configured the same way, loads it from the cache instead of compiling.
 * An error is returned if the file cannot be read or has an unknown
 * setting.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_config_cache_config_load(wasm_config_t *, const char *);

/**
 * \brief Sets the target to compile for, as a target triple.
 *
 * Returns NULL, or an error for a malformed triple. An engine for another
 * target (`aarch64-unknown-linux-gnu` on an x86-64 host, or the reverse)
 * compiles modules for `wasmtime_module_serialize` or
 * `kiln_engine_precompile_module`, assuming only the target's baseline CPU
 * features; instantiating them fails with an error. An unsupported
 * architecture makes `wasm_engine_new_with_config` fail.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_config_target_set(wasm_config_t *, const char *);

/**
 * \brief Sets the boolean Cranelift setting `flag` to true.
 *
 * An unknown setting makes #wasm_engine_new_with_config fail (NULL).
 */
WASM_API_EXTERN void wasmtime_config_cranelift_flag_enable(wasm_config_t *,
                                                           const char *);

/**
 * \brief Sets the Cranelift setting `key` to `value`.
 *
 * An unknown setting or value makes #wasm_engine_new_with_config fail.
 */
WASM_API_EXTERN void wasmtime_config_cranelift_flag_set(wasm_config_t *,
                                                        const char *key,
                                                        const char *value);

/**
 * \typedef wasmtime_pooling_allocation_config_t
 * \brief Limits of the pooling instance allocator: how many slots are
 * reserved when the engine is created, and how large each may grow.
 */
typedef struct wasmtime_pooling_allocation_config_t
    wasmtime_pooling_allocation_config_t;

/// \brief A pooling configuration with Kiln's defaults (1000 instances,
/// memories and tables; 4 GiB memories; 20,000-element tables).
WASM_API_EXTERN wasmtime_pooling_allocation_config_t *
wasmtime_pooling_allocation_config_new(void);

/// \brief Deletes a pooling configuration.
WASM_API_EXTERN void wasmtime_pooling_allocation_config_delete(
    wasmtime_pooling_allocation_config_t *);

/**
 * \brief Bytes at the start of each freed memory slot that are reset by
 * copying (and stay resident) rather than dropped with `madvise`.
 */
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(
    wasmtime_pooling_allocation_config_t *, size_t);

/// \brief Like the memory setting, for table slots.
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_table_keep_resident_set(
    wasmtime_pooling_allocation_config_t *, size_t);

/// \brief Number of memory slots; instantiation fails with an error when
/// all are in use.
WASM_API_EXTERN void wasmtime_pooling_allocation_config_total_memories_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);

/// \brief Number of table slots.
WASM_API_EXTERN void wasmtime_pooling_allocation_config_total_tables_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);

/// \brief Number of instances that may be live at once.
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_total_core_instances_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);

/// \brief Most elements of a pooled table.
WASM_API_EXTERN void wasmtime_pooling_allocation_config_table_elements_set(
    wasmtime_pooling_allocation_config_t *, size_t);

/// \brief Most bytes of a pooled linear memory.
WASM_API_EXTERN void wasmtime_pooling_allocation_config_max_memory_size_set(
    wasmtime_pooling_allocation_config_t *, size_t);

/**
 * \brief Most memories a module may define (imported ones do not count)
 * to be instantiated in the pool; more is an instantiation error. Default
 * 1.
 */
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_max_memories_per_module_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);

/**
 * \brief Most tables a module may define (imported ones do not count) to
 * be instantiated in the pool; more is an instantiation error. Default: no
 * limit but the number of table slots.
 */
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_max_tables_per_module_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);

/**
 * \brief Largest instance state (VMContext: globals, imported functions,
 * pointers to memories and tables), in bytes, of a module to be
 * instantiated in the pool; larger is an instantiation error. Default: no
 * limit.
 */
WASM_API_EXTERN void
wasmtime_pooling_allocation_config_max_core_instance_size_set(
    wasmtime_pooling_allocation_config_t *, size_t);

/**
 * \brief Makes engines created from `config` use the pooling allocator
 * with the limits of `pooling` (copied; `pooling` stays the caller's).
 */
WASM_API_EXTERN void wasmtime_pooling_allocation_strategy_set(
    wasm_config_t *config, const wasmtime_pooling_allocation_config_t *pooling);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_CONFIG_H
