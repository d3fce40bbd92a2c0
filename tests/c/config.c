/* Engine configuration: settings take effect, and an engine configured
 * with them compiles and runs modules. */
#include "check.h"

#include <unistd.h>

static const char *WAT =
    "(module (func $rec (export \"rec\") (param i32) (result i32)"
    "  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "    (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))";

static int call_rec(wasm_engine_t *engine, int depth) {
  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t rec;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "rec", 3, &rec));
  wasmtime_val_t a = {.kind = WASMTIME_I32, .of.i32 = depth}, r;
  CHECK_OK(wasmtime_func_call(ctx, &rec.of.func, &a, 1, &r, 1, &trap));
  int result = trap ? -take_trap_code(trap) - 1 : r.of.i32;
  wasmtime_store_delete(store);
  wasmtime_module_delete(module);
  return result;
}

/* Compiles `wat` with `engine`: the error, or NULL (the module is
 * deleted). */
static wasmtime_error_t *compile(wasm_engine_t *engine, const char *wat) {
  wasm_byte_vec_t wasm;
  CHECK_OK(wasmtime_wat2wasm(wat, strlen(wat), &wasm));
  wasmtime_module_t *module = NULL;
  wasmtime_error_t *error =
      wasmtime_module_new(engine, (const uint8_t *)wasm.data, wasm.size, &module);
  wasm_byte_vec_delete(&wasm);
  if (module != NULL) wasmtime_module_delete(module);
  return error;
}

int main(void) {
  wasm_config_t *config = wasm_config_new();
  wasmtime_config_max_wasm_stack_set(config, 64 * 1024);
  wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED_AND_SIZE);
  wasmtime_config_wasm_bulk_memory_set(config, true);
  wasmtime_config_wasm_reference_types_set(config, true);
  wasmtime_config_wasm_multi_value_set(config, true);
  wasmtime_config_parallel_compilation_set(config, false);
  wasmtime_config_memory_reservation_set(config, 1ull << 32);
  wasmtime_config_memory_guard_size_set(config, 1ull << 31);
  wasmtime_config_cranelift_nan_canonicalization_set(config, true);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  CHECK(call_rec(engine, 100) == 100);
  /* 64 KiB of stack is not enough for 100,000 frames. */
  CHECK(call_rec(engine, 100000) == -WASMTIME_TRAP_CODE_STACK_OVERFLOW - 1);
  wasm_engine_t *clone = wasmtime_engine_clone(engine);
  wasm_engine_delete(engine);
  CHECK(call_rec(clone, 10) == 10);
  wasm_engine_delete(clone);

#ifdef KILN_VERSION
  /* Without reference types, a module using them does not compile (Wasmtime
   * refuses this configuration with its default features). */
  config = wasm_config_new();
  wasmtime_config_wasm_reference_types_set(config, false);
  engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasm_byte_vec_t wasm;
  const char *refs = "(module (table 1 externref) (func (drop (ref.null extern))))";
  CHECK_OK(wasmtime_wat2wasm(refs, strlen(refs), &wasm));
  CHECK(error_contains(wasmtime_module_validate(engine, (uint8_t *)wasm.data, wasm.size), ""));
  wasm_byte_vec_delete(&wasm);
  wasm_engine_delete(engine);
#endif

  /* The pooling allocator. */
  engine = pooling_engine(small_pool());
  for (int i = 0; i < 20; i++) CHECK(call_rec(engine, 5) == 5);
  wasm_engine_delete(engine);

#ifdef KILN_VERSION
  /* An architecture Kiln does not compile for is an error at once, as is a
   * malformed triple. */
  config = wasm_config_new();
  CHECK(error_contains(wasmtime_config_target_set(config, "riscv64gc-unknown-linux-gnu"),
                       "riscv64"));
  CHECK(error_contains(wasmtime_config_target_set(config, "not a triple"), "invalid"));
  wasm_config_delete(config);

  /* The other architecture: modules compile and serialize, but do not run
   * here. */
#if defined(__x86_64__)
  const char *other = "aarch64-unknown-linux-gnu";
#else
  const char *other = "x86_64-unknown-linux-gnu";
#endif
  config = wasm_config_new();
  CHECK_OK(wasmtime_config_target_set(config, other));
  engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasm_byte_vec_t bytes;
  CHECK_OK(wasmtime_module_serialize(module, &bytes));
  CHECK(bytes.size > 0);
  wasm_byte_vec_delete(&bytes);
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK(error_contains(
      wasmtime_instance_new(wasmtime_store_context(store), module, NULL, 0, &inst, &trap),
      "cannot instantiate"));
  CHECK(trap == NULL);
  wasmtime_store_delete(store);
  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
#endif

  /* The single-pass register allocator compiles working code; signal-based
   * traps (the default) and the settings without effect here are fine. */
  config = wasm_config_new();
  wasmtime_config_cranelift_regalloc_algorithm_set(config, WASMTIME_REGALLOC_SINGLE_PASS);
  wasmtime_config_signals_based_traps_set(config, true);
  wasmtime_config_macos_use_mach_ports_set(config, false);
  wasmtime_config_wasm_branch_hinting_set(config, true);
  wasmtime_config_gc_support_set(config, true);
  wasmtime_config_shared_memory_set(config, false);
  engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  CHECK(call_rec(engine, 1000) == 1000);
  wasm_engine_delete(engine);

#ifdef KILN_VERSION
  /* What Kiln cannot do makes engine creation fail. */
  config = wasm_config_new();
  wasmtime_config_cranelift_regalloc_algorithm_set(config, 7);
  CHECK(wasm_engine_new_with_config(config) == NULL);
  config = wasm_config_new();
  wasmtime_config_signals_based_traps_set(config, false);
  CHECK(wasm_engine_new_with_config(config) == NULL);
#endif

  /* Per-module limits of the pooling allocator: a module beyond one fails
   * to compile with an error, and the engine stays usable. */
  wasmtime_pooling_allocation_config_t *pool = small_pool();
  wasmtime_pooling_allocation_config_max_tables_per_module_set(pool, 1);
  wasmtime_pooling_allocation_config_max_memories_per_module_set(pool, 1);
  wasmtime_pooling_allocation_config_max_core_instance_size_set(pool, 1 << 20);
  engine = pooling_engine(pool);
  CHECK(error_contains(compile(engine, "(module (table 1 funcref) (table 1 funcref))"),
                       "tables count of 2 exceeds"));
  CHECK(call_rec(engine, 5) == 5);
  wasm_engine_delete(engine);

  pool = small_pool();
  wasmtime_pooling_allocation_config_max_memories_per_module_set(pool, 0);
  wasmtime_pooling_allocation_config_max_core_instance_size_set(pool, 64);
  engine = pooling_engine(pool);
  CHECK(error_contains(compile(engine, "(module (memory 1))"), "memories count of 1 exceeds"));
  {
    /* 100 imported functions take more than 64 bytes of instance state. */
    char big[8192] = "(module";
    for (int k = 0; k < 100; k++)
      snprintf(big + strlen(big), sizeof big - strlen(big), " (import \"m\" \"f%d\" (func))", k);
    strcat(big, ")");
    CHECK(error_contains(compile(engine, big), "bytes"));
  }
  wasm_engine_delete(engine);

  /* The perf map profiler names compiled code in /tmp/perf-<pid>.map. */
  config = wasm_config_new();
  wasmtime_config_profiler_set(config, WASMTIME_PROFILING_STRATEGY_PERFMAP);
  engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  CHECK(call_rec(engine, 10) == 10);
  {
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    FILE *map = fopen(path, "r");
    CHECK(map != NULL);
    char line[512];
    int named = 0;
    while (fgets(line, sizeof line, map))
      named |= strstr(line, "function[0]") != NULL && strstr(line, "rec") != NULL;
    fclose(map);
    remove(path);
    CHECK(named);
  }
  wasm_engine_delete(engine);

#ifdef KILN_VERSION
  /* Profilers Kiln does not have make engine creation fail. */
  config = wasm_config_new();
  wasmtime_config_profiler_set(config, WASMTIME_PROFILING_STRATEGY_JITDUMP);
  CHECK(wasm_engine_new_with_config(config) == NULL);
#endif

  /* The host's own triple is accepted. */
  config = wasm_config_new();
#if defined(__x86_64__)
  CHECK_OK(wasmtime_config_target_set(config, "x86_64-unknown-linux-gnu"));
#else
  CHECK_OK(wasmtime_config_target_set(config, "aarch64-unknown-linux-gnu"));
#endif
  engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  CHECK(call_rec(engine, 10) == 10);
  wasm_engine_delete(engine);
  return 0;
}
