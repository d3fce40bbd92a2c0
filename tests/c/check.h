/* Helpers shared by the C API test programs: each check prints what
 * failed, where, and exits 1. */
#ifndef KILN_TEST_CHECK_H
#define KILN_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasmtime.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* Fails with the error's message if `err` is not NULL. */
static inline void check_ok_at(wasmtime_error_t *err, const char *file, int line) {
  if (err != NULL) {
    wasm_name_t msg;
    wasmtime_error_message(err, &msg);
    fprintf(stderr, "%s:%d: unexpected error: %.*s\n", file, line,
            (int)msg.size, msg.data);
    wasm_byte_vec_delete(&msg);
    wasmtime_error_delete(err);
    exit(1);
  }
}
#define CHECK_OK(err) check_ok_at((err), __FILE__, __LINE__)

/* Fails if `trap` is not NULL, printing its message. */
static inline void check_no_trap_at(wasm_trap_t *trap, const char *file, int line) {
  if (trap != NULL) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "%s:%d: unexpected trap: %s\n", file, line, msg.data);
    wasm_byte_vec_delete(&msg);
    wasm_trap_delete(trap);
    exit(1);
  }
}
#define CHECK_NO_TRAP(trap) check_no_trap_at((trap), __FILE__, __LINE__)

/* True if the error's message contains `needle`; deletes the error. */
static inline int error_contains(wasmtime_error_t *err, const char *needle) {
  if (err == NULL) return 0;
  wasm_name_t msg;
  wasmtime_error_message(err, &msg);
  char *text = malloc(msg.size + 1);
  memcpy(text, msg.data, msg.size);
  text[msg.size] = 0;
  int found = strstr(text, needle) != NULL;
  if (!found) fprintf(stderr, "error message: %s\n", text);
  free(text);
  wasm_byte_vec_delete(&msg);
  wasmtime_error_delete(err);
  return found;
}

/* Compiles WAT text into a module, failing the test on any error. */
static inline wasmtime_module_t *compile_wat(wasm_engine_t *engine, const char *wat) {
  wasm_byte_vec_t wasm;
  CHECK_OK(wasmtime_wat2wasm(wat, strlen(wat), &wasm));
  wasmtime_module_t *module = NULL;
  CHECK_OK(wasmtime_module_new(engine, (const uint8_t *)wasm.data, wasm.size, &module));
  wasm_byte_vec_delete(&wasm);
  return module;
}

/* The export `name` of `inst`, which must exist and be of `kind`. */
static inline wasmtime_extern_t get_export(wasmtime_context_t *ctx,
                                           const wasmtime_instance_t *inst,
                                           const char *name,
                                           wasmtime_extern_kind_t kind) {
  wasmtime_extern_t item;
  CHECK(wasmtime_instance_export_get(ctx, inst, name, strlen(name), &item));
  CHECK(item.kind == kind);
  return item;
}

/* A pooling configuration with 4 instance, memory and table slots and
 * memories of at most 1 MiB, for the caller to adjust and pass to
 * pooling_engine. */
static inline wasmtime_pooling_allocation_config_t *small_pool(void) {
  wasmtime_pooling_allocation_config_t *pool = wasmtime_pooling_allocation_config_new();
  wasmtime_pooling_allocation_config_total_memories_set(pool, 4);
  wasmtime_pooling_allocation_config_total_tables_set(pool, 4);
  wasmtime_pooling_allocation_config_total_core_instances_set(pool, 4);
  wasmtime_pooling_allocation_config_max_memory_size_set(pool, 1 << 20);
  return pool;
}

/* An engine that allocates instances from a pool with the limits of
 * `pool` (which is deleted). */
static inline wasm_engine_t *pooling_engine(wasmtime_pooling_allocation_config_t *pool) {
  wasm_config_t *config = wasm_config_new();
  wasmtime_pooling_allocation_strategy_set(config, pool);
  wasmtime_pooling_allocation_config_delete(pool);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  return engine;
}

/* The trap code of `trap` (deleting it), or -1 if it has none. */
static inline int take_trap_code(wasm_trap_t *trap) {
  CHECK(trap != NULL);
  wasmtime_trap_code_t code;
  int result = wasmtime_trap_code(trap, &code) ? code : -1;
  wasm_trap_delete(trap);
  return result;
}

#endif
