/* Linking two modules: by name through a linker (define_instance, get,
 * instantiate, instantiate_pre, module) and by position with
 * wasmtime_instance_new. */
#include "check.h"

static const char *LIB =
    "(module"
    "  (memory (export \"memory\") 1)"
    "  (global (export \"counter\") (mut i32) (i32.const 10))"
    "  (table (export \"table\") 1 funcref) (elem (i32.const 0) $double)"
    "  (func $double (export \"double\") (param i32) (result i32)"
    "    local.get 0 i32.const 2 i32.mul)"
    "  (func (export \"poke\") (param i32 i32) local.get 0 local.get 1 i32.store))";

static const char *APP =
    "(module"
    "  (type $t (func (param i32) (result i32)))"
    "  (import \"lib\" \"double\" (func $double (type $t)))"
    "  (import \"lib\" \"memory\" (memory 1))"
    "  (import \"lib\" \"counter\" (global $c (mut i32)))"
    "  (import \"lib\" \"table\" (table 1 funcref))"
    "  (func (export \"run\") (param i32) (result i32)"
    "    global.get $c i32.const 1 i32.add global.set $c"
    "    (call $double (local.get 0))"
    "    (call_indirect (type $t) (i32.const 100) (i32.const 0)) i32.add"
    "    (i32.load (i32.const 64)) i32.add"
    "    global.get $c i32.add))";

static int run(wasmtime_context_t *ctx, wasmtime_instance_t *inst, int arg) {
  wasmtime_extern_t f;
  CHECK(wasmtime_instance_export_get(ctx, inst, "run", 3, &f));
  wasmtime_val_t a = {.kind = WASMTIME_I32, .of.i32 = arg}, r;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_func_call(ctx, &f.of.func, &a, 1, &r, 1, &trap));
  CHECK_NO_TRAP(trap);
  return r.of.i32;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_module_t *lib = compile_wat(engine, LIB);
  wasmtime_module_t *app = compile_wat(engine, APP);
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasm_trap_t *trap = NULL;

  wasmtime_instance_t lib_inst;
  CHECK_OK(wasmtime_instance_new(ctx, lib, NULL, 0, &lib_inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t poke;
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "poke", 4, &poke));
  wasmtime_val_t pargs[2] = {{.kind = WASMTIME_I32, .of.i32 = 64},
                             {.kind = WASMTIME_I32, .of.i32 = 1000}};
  CHECK_OK(wasmtime_func_call(ctx, &poke.of.func, pargs, 2, NULL, 0, &trap));
  CHECK_NO_TRAP(trap);

  /* By name. */
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  CHECK_OK(wasmtime_linker_define_instance(linker, ctx, "lib", 3, &lib_inst));
  wasmtime_extern_t item;
  CHECK(wasmtime_linker_get(linker, ctx, "lib", 3, "counter", 7, &item));
  CHECK(item.kind == WASMTIME_EXTERN_GLOBAL);
  CHECK(!wasmtime_linker_get(linker, ctx, "lib", 3, "missing", 7, &item));
  wasmtime_instance_t app_inst;
  CHECK_OK(wasmtime_linker_instantiate(linker, ctx, app, &app_inst, &trap));
  CHECK_NO_TRAP(trap);
  /* 2*5 + 2*100 + 1000 + 11 */
  CHECK(run(ctx, &app_inst, 5) == 1221);
  CHECK(run(ctx, &app_inst, 5) == 1222);

  /* Shared state: the global and memory are the library's. */
  wasmtime_extern_t counter;
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "counter", 7, &counter));
  wasmtime_val_t v;
  wasmtime_global_get(ctx, &counter.of.global, &v);
  CHECK(v.kind == WASMTIME_I32 && v.of.i32 == 12);

  /* Through an instance-pre, twice more in the same store. */
  wasmtime_instance_pre_t *pre = NULL;
  CHECK_OK(wasmtime_linker_instantiate_pre(linker, app, &pre));
  CHECK_OK(wasmtime_instance_pre_instantiate(pre, wasmtime_store_context(store), &app_inst, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(run(ctx, &app_inst, 0) == 1213);
  wasmtime_instance_pre_delete(pre);

  /* By position, with the exports passed in import order. */
  wasmtime_extern_t imports[4];
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "double", 6, &imports[0]));
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "memory", 6, &imports[1]));
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "counter", 7, &imports[2]));
  CHECK(wasmtime_instance_export_get(ctx, &lib_inst, "table", 5, &imports[3]));
  CHECK_OK(wasmtime_instance_new(ctx, app, imports, 4, &app_inst, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(run(ctx, &app_inst, 1) == 1216);

  /* wasmtime_linker_module: instantiate and register in one step. */
  wasmtime_linker_t *linker2 = wasmtime_linker_new(engine);
  CHECK_OK(wasmtime_linker_module(linker2, ctx, "lib", 3, lib));
  CHECK_OK(wasmtime_linker_instantiate(linker2, ctx, app, &app_inst, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(run(ctx, &app_inst, 1) == 213); /* a fresh library instance */

  /* Redefinition is an error unless shadowing is allowed. */
  wasmtime_error_t *err = wasmtime_linker_define_instance(linker2, ctx, "lib", 3, &lib_inst);
  CHECK(err != NULL);
  wasmtime_error_delete(err);
  wasmtime_linker_allow_shadowing(linker2, true);
  CHECK_OK(wasmtime_linker_define_instance(linker2, ctx, "lib", 3, &lib_inst));

  /* A clone has the same definitions. */
  wasmtime_linker_t *clone = wasmtime_linker_clone(linker);
  CHECK(wasmtime_linker_get(clone, ctx, "lib", 3, "double", 6, &item));
  wasmtime_linker_delete(clone);

  wasmtime_linker_delete(linker2);
  wasmtime_linker_delete(linker);
  wasmtime_store_delete(store);
  wasmtime_module_delete(app);
  wasmtime_module_delete(lib);
  wasm_engine_delete(engine);
  return 0;
}
