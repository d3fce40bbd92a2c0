/* Host functions: one made with wasmtime_func_new and passed as an
 * explicit import, one defined on a linker with an environment and a
 * finalizer (which must run exactly once). */
#include "check.h"

static const char *WAT =
    "(module"
    "  (import \"host\" \"add\" (func $add (param i32 i32) (result i32)))"
    "  (import \"host\" \"twice\" (func $twice (param i64) (result i64)))"
    "  (func (export \"run\") (param i32) (result i32)"
    "    local.get 0 i32.const 100 call $add)"
    "  (func (export \"run64\") (param i64) (result i64)"
    "    local.get 0 call $twice))";

static int add_calls = 0;
static int finalized = 0;

static wasm_trap_t *add(void *env, wasmtime_caller_t *caller,
                        const wasmtime_val_t *args, size_t nargs,
                        wasmtime_val_t *results, size_t nresults) {
  (void)caller;
  CHECK(env == (void *)&add_calls);
  CHECK(nargs == 2 && nresults == 1);
  CHECK(args[0].kind == WASMTIME_I32 && args[1].kind == WASMTIME_I32);
  add_calls++;
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
  return NULL;
}

static wasm_trap_t *twice(void *env, wasmtime_caller_t *caller,
                          const wasmtime_val_t *args, size_t nargs,
                          wasmtime_val_t *results, size_t nresults) {
  (void)caller;
  CHECK(*(int *)env == 42);
  CHECK(nargs == 1 && nresults == 1);
  results[0].kind = WASMTIME_I64;
  results[0].of.i64 = args[0].of.i64 * 2;
  return NULL;
}

static void finalize(void *env) {
  CHECK(*(int *)env == 42);
  finalized++;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_module_t *module = compile_wat(engine, WAT);
  static int env = 42;

  /* Explicit imports. */
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasm_functype_t *add_ty = wasm_functype_new_2_1(
      wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_functype_t *twice_ty =
      wasm_functype_new_1_1(wasm_valtype_new_i64(), wasm_valtype_new_i64());
  wasmtime_extern_t imports[2];
  imports[0].kind = WASMTIME_EXTERN_FUNC;
  wasmtime_func_new(ctx, add_ty, add, &add_calls, NULL, &imports[0].of.func);
  imports[1].kind = WASMTIME_EXTERN_FUNC;
  wasmtime_func_new(ctx, twice_ty, twice, &env, finalize, &imports[1].of.func);
  wasmtime_instance_t instance;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, imports, 2, &instance, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t run;
  CHECK(wasmtime_instance_export_get(ctx, &instance, "run", 3, &run));
  wasmtime_val_t arg = {.kind = WASMTIME_I32, .of.i32 = 23}, result;
  CHECK_OK(wasmtime_func_call(ctx, &run.of.func, &arg, 1, &result, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(result.of.i32 == 123 && add_calls == 1);
  CHECK(finalized == 0);
  wasmtime_store_delete(store);
  CHECK(finalized == 1);

  /* Through a linker. */
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  CHECK_OK(wasmtime_linker_define_func(linker, "host", 4, "add", 3, add_ty, add,
                                       &add_calls, NULL));
  CHECK_OK(wasmtime_linker_define_func(linker, "host", 4, "twice", 5, twice_ty,
                                       twice, &env, finalize));
  for (int round = 0; round < 3; round++) {
    store = wasmtime_store_new(engine, NULL, NULL);
    ctx = wasmtime_store_context(store);
    CHECK_OK(wasmtime_linker_instantiate(linker, ctx, module, &instance, &trap));
    CHECK_NO_TRAP(trap);
    wasmtime_extern_t run64;
    CHECK(wasmtime_instance_export_get(ctx, &instance, "run64", 5, &run64));
    wasmtime_val_t a = {.kind = WASMTIME_I64, .of.i64 = 1LL << 40}, r;
    CHECK_OK(wasmtime_func_call(ctx, &run64.of.func, &a, 1, &r, 1, &trap));
    CHECK_NO_TRAP(trap);
    CHECK(r.kind == WASMTIME_I64 && r.of.i64 == 1LL << 41);
    wasmtime_store_delete(store);
  }
  CHECK(finalized == 1);
  wasmtime_linker_delete(linker);
  CHECK(finalized == 2);

  wasm_functype_delete(add_ty);
  wasm_functype_delete(twice_ty);
  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
  return 0;
}
