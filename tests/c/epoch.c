/* Epoch interruption: another thread advances the engine's epoch and
 * interrupts an infinite loop; a deadline callback can extend the
 * deadline instead of trapping. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>
#include "check.h"

static const char *WAT = "(module (func (export \"spin\") (loop br 0)))";

static void *ticker(void *arg) {
  wasm_engine_t *engine = arg;
  struct timespec ts = {0, 20 * 1000 * 1000};
  for (int i = 0; i < 5; i++) {
    nanosleep(&ts, NULL);
    wasmtime_engine_increment_epoch(engine);
  }
  return NULL;
}

static int callbacks = 0;
static int finalized = 0;

static wasmtime_error_t *on_deadline(const wasmtime_context_t *ctx, void *data,
                                     uint64_t *delta,
                                     wasmtime_update_deadline_kind_t *kind) {
  (void)ctx;
  CHECK(data == &callbacks);
  callbacks++;
  if (callbacks < 3) {
    *delta = 1;
    *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
    return NULL;
  }
  return wasmtime_error_new("enough");
}

static void finalize(void *data) {
  CHECK(data == &callbacks);
  finalized++;
}

int main(void) {
  wasm_config_t *config = wasm_config_new();
  wasmtime_config_epoch_interruption_set(config, true);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasmtime_module_t *module = compile_wat(engine, WAT);

  /* Trap at the deadline. */
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_context_set_epoch_deadline(ctx, 1);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t spin;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "spin", 4, &spin));
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, ticker, engine) == 0);
  CHECK_OK(wasmtime_func_call(ctx, &spin.of.func, NULL, 0, NULL, 0, &trap));
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTERRUPT);
  pthread_join(thread, NULL);
  wasmtime_store_delete(store);

  /* A callback extends the deadline twice, then fails the call. */
  store = wasmtime_store_new(engine, NULL, NULL);
  ctx = wasmtime_store_context(store);
  wasmtime_store_epoch_deadline_callback(store, on_deadline, &callbacks, finalize);
  wasmtime_context_set_epoch_deadline(ctx, 1);
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(wasmtime_instance_export_get(ctx, &inst, "spin", 4, &spin));
  CHECK(pthread_create(&thread, NULL, ticker, engine) == 0);
  wasmtime_error_t *err = wasmtime_func_call(ctx, &spin.of.func, NULL, 0, NULL, 0, &trap);
  pthread_join(thread, NULL);
  CHECK(trap == NULL);
  CHECK(error_contains(err, "enough"));
  CHECK(callbacks == 3);
  CHECK(finalized == 0);
  wasmtime_store_delete(store);
  CHECK(finalized == 1);

  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
  return 0;
}
