/* Fuel: a store runs until its fuel is spent, then traps with
 * OUT_OF_FUEL; the remaining fuel can be read and refilled. */
#include "check.h"

static const char *WAT =
    "(module"
    "  (func (export \"spin\") (loop br 0))"
    "  (func (export \"count\") (param i32) (result i32) (local i32)"
    "    (block (loop (br_if 1 (i32.eqz (local.get 0)))"
    "      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
    "      (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))"
    "    local.get 1))";

int main(void) {
  wasm_config_t *config = wasm_config_new();
  wasmtime_config_consume_fuel_set(config, true);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_module_t *module = compile_wat(engine, WAT);

  uint64_t fuel = 1;
  CHECK_OK(wasmtime_context_get_fuel(ctx, &fuel));
  CHECK(fuel == 0);
  CHECK_OK(wasmtime_context_set_fuel(ctx, 10000));
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK_NO_TRAP(trap);

  wasmtime_extern_t count, spin;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "count", 5, &count));
  CHECK(wasmtime_instance_export_get(ctx, &inst, "spin", 4, &spin));

  wasmtime_val_t arg = {.kind = WASMTIME_I32, .of.i32 = 100}, r;
  CHECK_OK(wasmtime_func_call(ctx, &count.of.func, &arg, 1, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(r.of.i32 == 100);
  CHECK_OK(wasmtime_context_get_fuel(ctx, &fuel));
  CHECK(fuel < 10000 && fuel > 0);
  uint64_t used = 10000 - fuel;

  /* Twice the work costs about twice the fuel. */
  CHECK_OK(wasmtime_context_set_fuel(ctx, 10000));
  arg.of.i32 = 200;
  CHECK_OK(wasmtime_func_call(ctx, &count.of.func, &arg, 1, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK_OK(wasmtime_context_get_fuel(ctx, &fuel));
  CHECK(10000 - fuel > used + used / 2);

  /* An infinite loop stops when the fuel runs out. */
  CHECK_OK(wasmtime_context_set_fuel(ctx, 5000));
  CHECK_OK(wasmtime_func_call(ctx, &spin.of.func, NULL, 0, NULL, 0, &trap));
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_OUT_OF_FUEL);
  CHECK_OK(wasmtime_context_get_fuel(ctx, &fuel));
  CHECK(fuel == 0);

  /* Refilled, the store runs again. */
  CHECK_OK(wasmtime_context_set_fuel(ctx, 10000));
  trap = NULL;
  arg.of.i32 = 3;
  CHECK_OK(wasmtime_func_call(ctx, &count.of.func, &arg, 1, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(r.of.i32 == 3);

  /* Without fuel enabled, the fuel functions are errors. */
  wasm_engine_t *plain = wasm_engine_new();
  wasmtime_store_t *plain_store = wasmtime_store_new(plain, NULL, NULL);
  wasmtime_error_t *err = wasmtime_context_set_fuel(wasmtime_store_context(plain_store), 1);
  CHECK(err != NULL);
  wasmtime_error_delete(err);
  wasmtime_store_delete(plain_store);
  wasm_engine_delete(plain);

  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
