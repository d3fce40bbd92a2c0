/* Bad input gives an error or a trap with a message, never a crash. */
#include "check.h"

static const char *IMPORTS =
    "(module (import \"m\" \"f\" (func (param i32)))"
    "  (import \"m\" \"g\" (global i32)))";

static wasm_trap_t *nop(void *env, wasmtime_caller_t *c, const wasmtime_val_t *a,
                        size_t na, wasmtime_val_t *r, size_t nr) {
  (void)env; (void)c; (void)a; (void)na; (void)r; (void)nr;
  return NULL;
}

static wasm_trap_t *wrong_result(void *env, wasmtime_caller_t *c,
                                 const wasmtime_val_t *a, size_t na,
                                 wasmtime_val_t *r, size_t nr) {
  (void)env; (void)c; (void)a; (void)na; (void)nr;
  r[0].kind = WASMTIME_I64; /* the function returns an i32 */
  r[0].of.i64 = 1;
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_module_t *module = NULL;
  wasm_trap_t *trap = NULL;

  /* Malformed and invalid binaries. */
  const uint8_t junk[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  CHECK(error_contains(wasmtime_module_new(engine, junk, sizeof junk, &module), "version"));
  CHECK(module == NULL);
  CHECK(error_contains(wasmtime_module_validate(engine, junk, 3), ""));
  wasm_byte_vec_t wasm;
  CHECK_OK(wasmtime_wat2wasm("(module (func (result i32)))", 28, &wasm));
  CHECK(error_contains(wasmtime_module_new(engine, (uint8_t *)wasm.data, wasm.size, &module), "type mismatch"));
  wasm_byte_vec_delete(&wasm);
  CHECK(error_contains(wasmtime_wat2wasm("(module (func $x", 16, &wasm), ""));

  /* Imports: wrong count, kind, type, store. */
  module = compile_wat(engine, IMPORTS);
  wasmtime_instance_t inst;
  CHECK(error_contains(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap), "2"));
  CHECK(trap == NULL);
  wasm_functype_t *good = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_functype_t *bad = wasm_functype_new_1_0(wasm_valtype_new_f64());
  wasmtime_extern_t imports[2];
  imports[0].kind = WASMTIME_EXTERN_FUNC;
  wasmtime_func_new(ctx, bad, nop, NULL, NULL, &imports[0].of.func);
  wasm_globaltype_t *gty = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasmtime_val_t zero = {.kind = WASMTIME_I32, .of.i32 = 0};
  imports[1].kind = WASMTIME_EXTERN_GLOBAL;
  CHECK_OK(wasmtime_global_new(ctx, gty, &zero, &imports[1].of.global));
  CHECK(error_contains(wasmtime_instance_new(ctx, module, imports, 2, &inst, &trap), "m::f"));
  wasmtime_extern_t swapped[2] = {imports[1], imports[0]};
  CHECK(error_contains(wasmtime_instance_new(ctx, module, swapped, 2, &inst, &trap), ""));
  wasmtime_store_t *other = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_func_new(wasmtime_store_context(other), good, nop, NULL, NULL, &imports[0].of.func);
  CHECK(error_contains(wasmtime_instance_new(ctx, module, imports, 2, &inst, &trap), "tore"));
  wasmtime_func_new(ctx, good, nop, NULL, NULL, &imports[0].of.func);
  CHECK_OK(wasmtime_instance_new(ctx, module, imports, 2, &inst, &trap));
  CHECK_NO_TRAP(trap);

  /* A linker with a missing import names it. */
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  CHECK(error_contains(wasmtime_linker_instantiate(linker, ctx, module, &inst, &trap), "m::f"));
  /* ... or defines unknown imports to trap / to defaults. */
  CHECK_OK(wasmtime_linker_define_unknown_imports_as_default_values(linker, ctx, module));
  CHECK_OK(wasmtime_linker_instantiate(linker, ctx, module, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_linker_delete(linker);

  /* Calls with the wrong arguments are errors. */
  wasmtime_module_t *fm = compile_wat(
      engine,
      "(module (import \"h\" \"r\" (func $r (result i32)))"
      " (func (export \"f\") (param i32) (result i32) local.get 0)"
      " (func (export \"g\") (result i32) call $r))");
  wasmtime_extern_t rimport = {.kind = WASMTIME_EXTERN_FUNC};
  wasm_functype_t *rty = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasmtime_func_new(ctx, rty, wrong_result, NULL, NULL, &rimport.of.func);
  wasm_functype_delete(rty);
  CHECK_OK(wasmtime_instance_new(ctx, fm, &rimport, 1, &inst, &trap));
  wasmtime_extern_t f, g;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "f", 1, &f));
  CHECK(wasmtime_instance_export_get(ctx, &inst, "g", 1, &g));
  wasmtime_val_t r;
  CHECK(error_contains(wasmtime_func_call(ctx, &f.of.func, NULL, 0, &r, 1, &trap), ""));
  wasmtime_val_t wrong = {.kind = WASMTIME_I64, .of.i64 = 1};
  CHECK(error_contains(wasmtime_func_call(ctx, &f.of.func, &wrong, 1, &r, 1, &trap), ""));
  CHECK(error_contains(wasmtime_func_call(ctx, &f.of.func, &zero, 1, &r, 0, &trap), ""));
  /* A host function returning a value of the wrong type. */
  CHECK(error_contains(wasmtime_func_call(ctx, &g.of.func, NULL, 0, &r, 1, &trap), ""));
  CHECK(trap == NULL);

  /* Missing exports. */
  wasmtime_extern_t item;
  CHECK(!wasmtime_instance_export_get(ctx, &inst, "nope", 4, &item));
  char *name;
  size_t len;
  CHECK(!wasmtime_instance_export_nth(ctx, &inst, 99, &name, &len, &item));

  /* wasmtime_error_new and the message round trip. */
  CHECK(error_contains(wasmtime_error_new("my own error"), "my own error"));
  wasm_frame_vec_t frames;
  wasmtime_error_t *plain = wasmtime_error_new("x");
  wasmtime_error_wasm_trace(plain, &frames);
  CHECK(frames.size == 0);
  wasm_frame_vec_delete(&frames);
  int status;
  CHECK(!wasmtime_error_exit_status(plain, &status));
  wasmtime_error_delete(plain);

  wasm_globaltype_delete(gty);
  wasm_functype_delete(good);
  wasm_functype_delete(bad);
  wasmtime_module_delete(fm);
  wasmtime_module_delete(module);
  wasmtime_store_delete(other);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
