/* Globals and tables from C, with funcref and externref elements, and
 * extern types. */
#include "check.h"

static int finalized = 0;
static void fin(void *p) {
  CHECK(*(int *)p == 7);
  finalized++;
}

static wasm_trap_t *nop(void *env, wasmtime_caller_t *c, const wasmtime_val_t *a,
                        size_t na, wasmtime_val_t *r, size_t nr) {
  (void)env; (void)c; (void)a; (void)na; (void)r; (void)nr;
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);

  /* Globals. */
  wasm_globaltype_t *var_ty = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  wasm_globaltype_t *const_ty = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST);
  wasmtime_val_t v = {.kind = WASMTIME_I64, .of.i64 = -5};
  wasmtime_global_t gv, gc;
  CHECK_OK(wasmtime_global_new(ctx, var_ty, &v, &gv));
  v.kind = WASMTIME_F32;
  v.of.f32 = 1.5f;
  CHECK_OK(wasmtime_global_new(ctx, const_ty, &v, &gc));
  v.kind = WASMTIME_I32;
  wasmtime_global_t bad;
  CHECK(error_contains(wasmtime_global_new(ctx, var_ty, &v, &bad), ""));
  wasmtime_val_t out;
  wasmtime_global_get(ctx, &gv, &out);
  CHECK(out.kind == WASMTIME_I64 && out.of.i64 == -5);
  v.kind = WASMTIME_I64;
  v.of.i64 = 99;
  CHECK_OK(wasmtime_global_set(ctx, &gv, &v));
  wasmtime_global_get(ctx, &gv, &out);
  CHECK(out.of.i64 == 99);
  v.kind = WASMTIME_F32;
  CHECK(error_contains(wasmtime_global_set(ctx, &gc, &v), ""));
  wasm_globaltype_t *got = wasmtime_global_type(ctx, &gv);
  CHECK(wasm_globaltype_mutability(got) == WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(got)) == WASM_I64);
  wasm_globaltype_delete(got);

  /* A funcref table. */
  wasm_limits_t limits = {2, 10};
  wasm_tabletype_t *fty = wasm_tabletype_new(wasm_valtype_new_funcref(), &limits);
  wasmtime_val_t null_func = {.kind = WASMTIME_FUNCREF};
  wasmtime_funcref_set_null(&null_func.of.funcref);
  wasmtime_table_t ft;
  CHECK_OK(wasmtime_table_new(ctx, fty, &null_func, &ft));
  CHECK(wasmtime_table_size(ctx, &ft) == 2);
  wasm_functype_t *vty = wasm_functype_new_0_0();
  wasmtime_val_t fval = {.kind = WASMTIME_FUNCREF};
  wasmtime_func_new(ctx, vty, nop, NULL, NULL, &fval.of.funcref);
  CHECK_OK(wasmtime_table_set(ctx, &ft, 1, &fval));
  CHECK(wasmtime_table_get(ctx, &ft, 1, &out));
  CHECK(out.kind == WASMTIME_FUNCREF && !wasmtime_funcref_is_null(&out.of.funcref));
  CHECK(wasmtime_table_get(ctx, &ft, 0, &out));
  CHECK(wasmtime_funcref_is_null(&out.of.funcref));
  CHECK(!wasmtime_table_get(ctx, &ft, 2, &out));
  CHECK(error_contains(wasmtime_table_set(ctx, &ft, 5, &fval), ""));
  uint64_t prev;
  CHECK_OK(wasmtime_table_grow(ctx, &ft, 3, &fval, &prev));
  CHECK(prev == 2 && wasmtime_table_size(ctx, &ft) == 5);
  CHECK(error_contains(wasmtime_table_grow(ctx, &ft, 10, &fval, &prev), ""));
  /* The raw form of a funcref round-trips. */
  void *raw = wasmtime_func_to_raw(ctx, &fval.of.funcref);
  wasmtime_func_t back;
  wasmtime_func_from_raw(ctx, raw, &back);
  wasm_functype_t *bty = wasmtime_func_type(ctx, &back);
  CHECK(wasm_functype_params(bty)->size == 0);
  wasm_functype_delete(bty);

  /* An externref table, with host data and a finalizer. */
  wasm_tabletype_t *ety = wasm_tabletype_new(wasm_valtype_new_externref(), &limits);
  static int payload = 7;
  wasmtime_val_t eval = {.kind = WASMTIME_EXTERNREF};
  CHECK(wasmtime_externref_new(ctx, &payload, fin, &eval.of.externref));
  wasmtime_table_t et;
  CHECK_OK(wasmtime_table_new(ctx, ety, &eval, &et));
  CHECK(wasmtime_table_get(ctx, &et, 1, &out));
  CHECK(out.kind == WASMTIME_EXTERNREF);
  CHECK(wasmtime_externref_data(ctx, &out.of.externref) == &payload);
  uint32_t raw_ref = wasmtime_externref_to_raw(ctx, &out.of.externref);
  CHECK(raw_ref != 0);
  wasmtime_externref_t from_raw;
  wasmtime_externref_from_raw(ctx, raw_ref, &from_raw);
  CHECK(wasmtime_externref_data(ctx, &from_raw) == &payload);
  wasmtime_externref_t copy;
  wasmtime_externref_clone(&out.of.externref, &copy);
  wasmtime_externref_unroot(&copy);
  wasmtime_val_unroot(&out);
  wasmtime_externref_unroot(&eval.of.externref);

  /* A module using both through imports. */
  wasmtime_module_t *m = compile_wat(
      engine,
      "(module (import \"\" \"g\" (global (mut i64))) (import \"\" \"t\" (table 2 externref))"
      " (func (export \"f\") (result i64 i32)"
      "   global.get 0 (ref.is_null (table.get 0 (i32.const 0)))))");
  wasmtime_extern_t imports[2] = {{.kind = WASMTIME_EXTERN_GLOBAL, .of.global = gv},
                                  {.kind = WASMTIME_EXTERN_TABLE, .of.table = et}};
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, m, imports, 2, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_extern_t f;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "f", 1, &f));
  wasmtime_val_t results[2];
  CHECK_OK(wasmtime_func_call(ctx, &f.of.func, NULL, 0, results, 2, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].of.i64 == 99 && results[1].of.i32 == 0);

  /* Extern types. */
  wasm_externtype_t *xt = wasmtime_extern_type(ctx, &imports[1]);
  CHECK(wasm_externtype_kind(xt) == WASM_EXTERN_TABLE);
  const wasm_tabletype_t *tt = wasm_externtype_as_tabletype_const(xt);
  CHECK(tt != NULL && wasm_tabletype_limits(tt)->min == 2);
  CHECK(wasm_externtype_as_functype(xt) == NULL);
  wasm_externtype_delete(xt);

  wasmtime_module_delete(m);
  wasm_functype_delete(vty);
  wasm_tabletype_delete(fty);
  wasm_tabletype_delete(ety);
  wasm_globaltype_delete(var_ty);
  wasm_globaltype_delete(const_ty);
  CHECK(finalized == 0);
  wasmtime_store_delete(store);
  CHECK(finalized == 1);
  wasm_engine_delete(engine);
  return 0;
}
