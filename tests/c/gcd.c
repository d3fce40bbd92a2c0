/* Calls an exported function through wasmtime_func_call and
 * wasmtime_func_call_unchecked, and checks its type. */
#include "check.h"

static const char *WAT =
    "(module (func $gcd (export \"gcd\") (param i32 i32) (result i32)"
    "  (local i32)"
    "  block loop local.get 1 i32.eqz br_if 1"
    "    local.get 0 local.get 1 i32.rem_u local.set 2"
    "    local.get 1 local.set 0 local.get 2 local.set 1 br 0 end end"
    "  local.get 0))";

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_module_t *module = compile_wat(engine, WAT);

  wasmtime_instance_t instance;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &instance, &trap));
  CHECK_NO_TRAP(trap);

  wasmtime_extern_t gcd = get_export(ctx, &instance, "gcd", WASMTIME_EXTERN_FUNC);

  wasm_functype_t *ty = wasmtime_func_type(ctx, &gcd.of.func);
  const wasm_valtype_vec_t *params = wasm_functype_params(ty);
  const wasm_valtype_vec_t *results = wasm_functype_results(ty);
  CHECK(params->size == 2 && results->size == 1);
  CHECK(wasm_valtype_kind(params->data[0]) == WASM_I32);
  CHECK(wasm_valtype_kind(results->data[0]) == WASM_I32);
  wasm_functype_delete(ty);

  int cases[][3] = {{6, 27, 3}, {1071, 462, 21}, {0, 5, 5}, {17, 0, 17}, {8, 12, 4}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    wasmtime_val_t args[2] = {{.kind = WASMTIME_I32, .of.i32 = cases[i][0]},
                              {.kind = WASMTIME_I32, .of.i32 = cases[i][1]}};
    wasmtime_val_t result;
    CHECK_OK(wasmtime_func_call(ctx, &gcd.of.func, args, 2, &result, 1, &trap));
    CHECK_NO_TRAP(trap);
    CHECK(result.kind == WASMTIME_I32 && result.of.i32 == cases[i][2]);

    wasmtime_val_raw_t raw[2];
    raw[0].i32 = cases[i][0];
    raw[1].i32 = cases[i][1];
    CHECK_OK(wasmtime_func_call_unchecked(ctx, &gcd.of.func, raw, 2, &trap));
    CHECK_NO_TRAP(trap);
    CHECK(raw[0].i32 == cases[i][2]);
  }

  wasmtime_extern_delete(&gcd);
  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
