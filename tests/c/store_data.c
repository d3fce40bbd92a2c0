/* Store data and finalizer, the caller's context and exports inside a
 * callback, and the store limiter. */
#include "check.h"

static int data_finalized = 0;
static void fin(void *data) {
  CHECK(*(int *)data == 2);
  data_finalized++;
}

static wasm_trap_t *peek(void *env, wasmtime_caller_t *caller,
                         const wasmtime_val_t *args, size_t nargs,
                         wasmtime_val_t *results, size_t nresults) {
  (void)env; (void)nargs; (void)nresults;
  wasmtime_context_t *ctx = wasmtime_caller_context(caller);
  int *counter = wasmtime_context_get_data(ctx);
  (*counter)++;
  wasmtime_extern_t mem;
  CHECK(wasmtime_caller_export_get(caller, "memory", 6, &mem));
  CHECK(mem.kind == WASMTIME_EXTERN_MEMORY);
  wasmtime_extern_t missing;
  CHECK(!wasmtime_caller_export_get(caller, "nope", 4, &missing));
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = wasmtime_memory_data(ctx, &mem.of.memory)[args[0].of.i32];
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  static int first = 1, second = 0;
  wasmtime_store_t *store = wasmtime_store_new(engine, &first, fin);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  CHECK(wasmtime_context_get_data(ctx) == &first);
  wasmtime_context_set_data(ctx, &second);
  CHECK(wasmtime_context_get_data(ctx) == &second);

  wasmtime_module_t *module = compile_wat(
      engine,
      "(module (import \"\" \"peek\" (func $peek (param i32) (result i32)))"
      " (memory (export \"memory\") 1 100) (data (i32.const 3) \"\\07\")"
      " (func (export \"run\") (result i32) i32.const 3 call $peek)"
      " (func (export \"grow\") (param i32) (result i32) local.get 0 memory.grow))");
  wasm_functype_t *ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasmtime_extern_t import = {.kind = WASMTIME_EXTERN_FUNC};
  wasmtime_func_new(ctx, ty, peek, NULL, NULL, &import.of.func);
  wasm_functype_delete(ty);

  /* Memory limited to 4 pages, at most 2 instances. */
  wasmtime_store_limiter(store, 4 * 65536, -1, 2, -1, -1);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, &import, 1, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t run, grow;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "run", 3, &run));
  CHECK(wasmtime_instance_export_get(ctx, &inst, "grow", 4, &grow));
  wasmtime_val_t r;
  CHECK_OK(wasmtime_func_call(ctx, &run.of.func, NULL, 0, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(r.of.i32 == 7 && second == 1);

  wasmtime_val_t delta = {.kind = WASMTIME_I32, .of.i32 = 3};
  CHECK_OK(wasmtime_func_call(ctx, &grow.of.func, &delta, 1, &r, 1, &trap));
  CHECK(r.of.i32 == 1); /* 1 -> 4 pages: allowed */
  delta.of.i32 = 1;
  CHECK_OK(wasmtime_func_call(ctx, &grow.of.func, &delta, 1, &r, 1, &trap));
  CHECK(r.of.i32 == -1); /* past the limit */

  CHECK_OK(wasmtime_instance_new(ctx, module, &import, 1, &inst, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(error_contains(wasmtime_instance_new(ctx, module, &import, 1, &inst, &trap), "limit"));

  /* Nothing to collect, but the call succeeds. */
  CHECK_OK(wasmtime_context_gc(ctx));

  wasmtime_module_delete(module);
  second = 2;
  wasmtime_store_delete(store);
  CHECK(data_finalized == 1);
  wasm_engine_delete(engine);
  return 0;
}
