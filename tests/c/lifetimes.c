/* Everything an instance came from (the module, the linker, the
 * instance-pre, the engine) may be deleted before the store that holds the instance:
 * the instance keeps working (its memory image, its lazily initialized
 * table, its code) until the store is deleted, with on-demand and pooling
 * allocation. Run under valgrind, this catches any use after free. */
#include "check.h"

static const char *WAT =
    "(module"
    "  (memory (export \"mem\") 1)"
    "  (data (i32.const 100) \"kiln\")"
    "  (table 4 funcref)"
    "  (elem (i32.const 1) $seven $eight)"
    "  (type $t (func (result i32)))"
    "  (func $seven (result i32) i32.const 7)"
    "  (func $eight (result i32) i32.const 8)"
    "  (func (export \"pick\") (param i32) (result i32)"
    "    local.get 0 call_indirect (type $t))"
    "  (func (export \"peek\") (param i32) (result i32)"
    "    local.get 0 i32.load8_u)"
    "  (func (export \"poke\") (param i32 i32)"
    "    local.get 0 local.get 1 i32.store8))";

static int32_t call1(wasmtime_context_t *ctx, wasmtime_instance_t *inst, const char *name,
                     int32_t arg) {
  wasmtime_func_t f = get_export(ctx, inst, name, WASMTIME_EXTERN_FUNC).of.func;
  wasmtime_val_t a = {.kind = WASMTIME_I32, .of.i32 = arg}, r;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_func_call(ctx, &f, &a, 1, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  return r.of.i32;
}

/* With `engine_too`, the engine is deleted early as well. */
static void run(wasm_engine_t *engine, bool engine_too) {
  enum { STORES = 3 };
  wasmtime_store_t *stores[STORES];
  wasmtime_instance_t instances[STORES];
  {
    wasmtime_module_t *module = compile_wat(engine, WAT);
    wasmtime_linker_t *linker = wasmtime_linker_new(engine);
    wasmtime_instance_pre_t *pre = NULL;
    CHECK_OK(wasmtime_linker_instantiate_pre(linker, module, &pre));
    for (int i = 0; i < STORES; i++) {
      stores[i] = wasmtime_store_new(engine, NULL, NULL);
      wasm_trap_t *trap = NULL;
      CHECK_OK(wasmtime_instance_pre_instantiate(pre, wasmtime_store_context(stores[i]),
                                                 &instances[i], &trap));
      CHECK(trap == NULL);
    }
    /* Everything but the stores goes. */
    wasmtime_instance_pre_delete(pre);
    wasmtime_linker_delete(linker);
    wasmtime_module_delete(module);
    if (engine_too) wasm_engine_delete(engine);
  }
  for (int i = 0; i < STORES; i++) {
    wasmtime_context_t *ctx = wasmtime_store_context(stores[i]);
    CHECK(call1(ctx, &instances[i], "peek", 100) == 'k');
    CHECK(call1(ctx, &instances[i], "pick", 2) == 8);
    CHECK(call1(ctx, &instances[i], "pick", 1) == 7);
    wasmtime_func_t poke = get_export(ctx, &instances[i], "poke", WASMTIME_EXTERN_FUNC).of.func;
    wasmtime_val_t args[2] = {{.kind = WASMTIME_I32, .of.i32 = 100},
                              {.kind = WASMTIME_I32, .of.i32 = 'K'}};
    wasm_trap_t *trap = NULL;
    CHECK_OK(wasmtime_func_call(ctx, &poke, args, 2, NULL, 0, &trap));
    CHECK_NO_TRAP(trap);
    CHECK(call1(ctx, &instances[i], "peek", 100) == 'K');
  }
  /* The stores go in another order than they came. */
  wasmtime_store_delete(stores[1]);
  wasmtime_store_delete(stores[0]);
  wasmtime_store_delete(stores[2]);
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  run(engine, false);
  run(engine, true); /* memories reuse the freed reservations */

  engine = pooling_engine(small_pool());
  run(engine, false);
  run(engine, true); /* slots are reset and reused */
  return 0;
}
