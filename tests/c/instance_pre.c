/* wasmtime/instance.h's instance-pres: one pre, instantiated 10,000 times
 * in fresh stores (with a host import from the linker); the module it
 * returns is a clone the caller deletes; a trapping start function gives a
 * trap and no instance; export_nth walks the exports. */
#include "check.h"

static const char *WAT =
    "(module"
    "  (import \"host\" \"base\" (func $base (result i32)))"
    "  (memory (export \"memory\") 1)"
    "  (global $g (export \"g\") (mut i32) (i32.const 0))"
    "  (table (export \"table\") 4 funcref)"
    "  (data (i32.const 8) \"\\2a\")"
    "  (func (export \"get\") (result i32)"
    "    global.get $g i32.const 1 i32.add global.set $g"
    "    (i32.add (call $base) (i32.add (global.get $g) (i32.load8_u (i32.const 8))))))";

static wasm_trap_t *base(void *env, wasmtime_caller_t *caller,
                         const wasmtime_val_t *args, size_t nargs,
                         wasmtime_val_t *results, size_t nresults) {
  (void)env; (void)args; (void)nargs; (void)nresults;
  /* The caller's context is the store's address. */
  CHECK(wasmtime_context_get_data(wasmtime_caller_context(caller)) == (void *)0x1234);
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = 1000;
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  wasm_functype_t *ty = wasm_functype_new_0_1(wasm_valtype_new_i32());
  CHECK_OK(wasmtime_linker_define_func(linker, "host", 4, "base", 4, ty, base, NULL, NULL));
  wasm_functype_delete(ty);
  wasmtime_instance_pre_t *pre = NULL;
  CHECK_OK(wasmtime_linker_instantiate_pre(linker, module, &pre));
  CHECK(pre != NULL);

  for (int i = 0; i < 10000; i++) {
    wasmtime_store_t *store = wasmtime_store_new(engine, (void *)0x1234, NULL);
    wasmtime_instance_t inst;
    wasm_trap_t *trap = (wasm_trap_t *)1;
    /* A store pointer, as on the reference page. */
    CHECK_OK(wasmtime_instance_pre_instantiate(pre, store, &inst, &trap));
    CHECK(trap == NULL);
    wasmtime_context_t *ctx = wasmtime_store_context(store);
    wasmtime_extern_t get;
    CHECK(wasmtime_instance_export_get(ctx, &inst, "get", 3, &get));
    wasmtime_val_t r;
    CHECK_OK(wasmtime_func_call(ctx, &get.of.func, NULL, 0, &r, 1, &trap));
    CHECK_NO_TRAP(trap);
    /* Fresh state every time: the global starts at 0, the data at 42. */
    CHECK(r.of.i32 == 1000 + 1 + 42);
    wasmtime_store_delete(store);
  }

  /* A context pointer works too (same address as the store). */
  wasmtime_store_t *store = wasmtime_store_new(engine, (void *)0x1234, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  CHECK((void *)ctx == (void *)store);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_pre_instantiate(pre, ctx, &inst, &trap));
  CHECK(trap == NULL);

  /* Exports by index; the name is the store's until the next call. */
  const char *expected[] = {"memory", "g", "table", "get"};
  int kinds[] = {WASMTIME_EXTERN_MEMORY, WASMTIME_EXTERN_GLOBAL, WASMTIME_EXTERN_TABLE,
                 WASMTIME_EXTERN_FUNC};
  for (size_t i = 0; i < 4; i++) {
    char *name = NULL;
    size_t len = 0;
    wasmtime_extern_t item;
    CHECK(wasmtime_instance_export_nth(ctx, &inst, i, &name, &len, &item));
    CHECK(len == strlen(expected[i]) && memcmp(name, expected[i], len) == 0);
    CHECK(item.kind == kinds[i]);
  }
  char *name;
  size_t len;
  wasmtime_extern_t item;
  CHECK(!wasmtime_instance_export_nth(ctx, &inst, 4, &name, &len, &item));
  CHECK(!wasmtime_instance_export_get(ctx, &inst, "nope", 4, &item));

  /* The module, as a clone. */
  wasmtime_module_t *clone = wasmtime_instance_pre_module(pre);
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(clone, &exports);
  CHECK(exports.size == 4);
  wasm_exporttype_vec_delete(&exports);
  wasmtime_module_delete(clone);
  wasmtime_store_delete(store);
  wasmtime_instance_pre_delete(pre);

  /* A start function that traps: a trap, no error. */
  wasmtime_module_t *bad = compile_wat(
      engine, "(module (func $s unreachable) (start $s))");
  CHECK_OK(wasmtime_linker_instantiate_pre(linker, bad, &pre));
  store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, store, &inst, &trap);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED);
  wasmtime_store_delete(store);
  wasmtime_instance_pre_delete(pre);
  wasmtime_module_delete(bad);

  /* A missing import fails at instantiate_pre, naming it. */
  wasmtime_linker_t *empty = wasmtime_linker_new(engine);
  pre = NULL;
  CHECK(error_contains(wasmtime_linker_instantiate_pre(empty, module, &pre), "host"));
  CHECK(pre == NULL);
  wasmtime_linker_delete(empty);

  wasmtime_linker_delete(linker);
  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
  return 0;
}
