/* The standard wasm.h API alone (only wasmtime_wat2wasm from Wasmtime's):
 * modules and their import/export types, host functions, instances,
 * calls, memories, globals, tables, traps, vectors and references. */
#include "check.h"

static const char *WAT =
    "(module"
    "  (import \"env\" \"hello\" (func $hello (param i32) (result i32)))"
    "  (import \"env\" \"scale\" (func $scale (param f64) (result f64)))"
    "  (memory (export \"mem\") 1)"
    "  (global (export \"g\") (mut i32) (i32.const 3))"
    "  (table (export \"tab\") 2 funcref) (elem (i32.const 0) $run)"
    "  (func $run (export \"run\") (param i32) (result i32)"
    "    local.get 0 call $hello global.get 0 i32.add)"
    "  (func (export \"f\") (param f64) (result f64) local.get 0 call $scale)"
    "  (func (export \"boom\") unreachable))";

static int hello_calls = 0;

static wasm_trap_t *hello(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  hello_calls++;
  CHECK(args->size == 1 && args->data[0].kind == WASM_I32);
  CHECK(results->size == 1);
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * 10;
  return NULL;
}

static int env_finalized = 0;
static void fin(void *env) { (void)env; env_finalized++; }

static wasm_trap_t *scale(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_F64;
  results->data[0].of.f64 = args->data[0].of.f64 * *(double *)env;
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  CHECK(wasmtime_wat2wasm(WAT, strlen(WAT), &binary) == NULL);
  CHECK(wasm_module_validate(store, &binary));
  wasm_module_t *module = wasm_module_new(store, &binary);
  CHECK(module != NULL);
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 4, "\0asm");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);

  /* Import and export types. */
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 2);
  const wasm_name_t *mod = wasm_importtype_module(imports.data[0]);
  const wasm_name_t *nm = wasm_importtype_name(imports.data[0]);
  CHECK(mod->size == 3 && memcmp(mod->data, "env", 3) == 0);
  CHECK(nm->size == 5 && memcmp(nm->data, "hello", 5) == 0);
  CHECK(wasm_externtype_kind(wasm_importtype_type(imports.data[0])) == WASM_EXTERN_FUNC);
  wasm_importtype_vec_t imports_copy;
  wasm_importtype_vec_copy(&imports_copy, &imports);
  CHECK(imports_copy.size == 2);
  wasm_importtype_vec_delete(&imports_copy);
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 6);
  CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[0])) == WASM_EXTERN_MEMORY);
  const wasm_memorytype_t *mt =
      wasm_externtype_as_memorytype_const(wasm_exporttype_type(exports.data[0]));
  CHECK(wasm_memorytype_limits(mt)->min == 1);
  CHECK(wasm_memorytype_limits(mt)->max == wasm_limits_max_default);
  wasm_exporttype_vec_delete(&exports);

  /* Host functions and instantiation. */
  wasm_functype_t *hello_ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *hello_fn = wasm_func_new(store, hello_ty, hello);
  static double factor = 2.5;
  wasm_functype_t *scale_ty = wasm_functype_new_1_1(wasm_valtype_new_f64(), wasm_valtype_new_f64());
  wasm_func_t *scale_fn = wasm_func_new_with_env(store, scale_ty, scale, &factor, fin);
  CHECK(wasm_func_param_arity(hello_fn) == 1 && wasm_func_result_arity(hello_fn) == 1);
  wasm_extern_t *externs[2] = {wasm_func_as_extern(hello_fn), wasm_func_as_extern(scale_fn)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(externs);
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, &import_vec, &trap);
  CHECK(instance != NULL && trap == NULL);

  wasm_extern_vec_t ex;
  wasm_instance_exports(instance, &ex);
  CHECK(ex.size == 6);
  wasm_memory_t *mem = wasm_extern_as_memory(ex.data[0]);
  wasm_global_t *g = wasm_extern_as_global(ex.data[1]);
  wasm_table_t *tab = wasm_extern_as_table(ex.data[2]);
  wasm_func_t *run = wasm_extern_as_func(ex.data[3]);
  wasm_func_t *f = wasm_extern_as_func(ex.data[4]);
  wasm_func_t *boom = wasm_extern_as_func(ex.data[5]);
  CHECK(mem && g && tab && run && f && boom);
  CHECK(wasm_extern_as_func(ex.data[0]) == NULL);
  CHECK(wasm_extern_kind(ex.data[2]) == WASM_EXTERN_TABLE);

  wasm_val_t args[1] = {WASM_I32_VAL(4)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(run, &av, &rv) == NULL);
  CHECK(results[0].kind == WASM_I32 && results[0].of.i32 == 43 && hello_calls == 1);
  wasm_val_t fargs[1] = {WASM_F64_VAL(2.0)};
  wasm_val_vec_t fav = WASM_ARRAY_VEC(fargs);
  CHECK(wasm_func_call(f, &fav, &rv) == NULL);
  CHECK(results[0].kind == WASM_F64 && results[0].of.f64 == 5.0);

  /* A trap, with its message and origin. */
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  trap = wasm_func_call(boom, &none, &none);
  CHECK(trap != NULL);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  CHECK(strstr(msg.data, "unreachable") != NULL);
  wasm_byte_vec_delete(&msg);
  wasm_frame_t *origin = wasm_trap_origin(trap);
  CHECK(origin != NULL && wasm_frame_func_index(origin) == 4);
  wasm_frame_delete(origin);
  wasm_trap_delete(trap);
  /* A wrong argument count is a trap too. */
  trap = wasm_func_call(run, &none, &rv);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  /* Memory. */
  CHECK(wasm_memory_size(mem) == 1 && wasm_memory_data_size(mem) == 65536);
  wasm_memory_data(mem)[5] = 9;
  CHECK(wasm_memory_grow(mem, 2) && wasm_memory_size(mem) == 3);
  CHECK(wasm_memory_data(mem)[5] == 9);

  /* Global. */
  wasm_val_t gv;
  wasm_global_get(g, &gv);
  CHECK(gv.kind == WASM_I32 && gv.of.i32 == 3);
  wasm_val_t nv = WASM_I32_VAL(30);
  wasm_global_set(g, &nv);
  wasm_global_get(g, &gv);
  CHECK(gv.of.i32 == 30);

  /* Table: element 0 is $run, as a reference. */
  CHECK(wasm_table_size(tab) == 2);
  wasm_ref_t *r0 = wasm_table_get(tab, 0);
  CHECK(r0 != NULL);
  wasm_func_t *as_func = wasm_ref_as_func(r0);
  CHECK(as_func != NULL && wasm_func_same(as_func, run));
  CHECK(wasm_func_call(as_func, &av, &rv) == NULL && results[0].of.i32 == 70);
  CHECK(wasm_table_get(tab, 1) == NULL);
  CHECK(wasm_table_set(tab, 1, r0));
  CHECK(!wasm_table_set(tab, 7, r0));
  CHECK(wasm_table_grow(tab, 1, NULL) && wasm_table_size(tab) == 3);
  wasm_ref_delete(r0);

  /* A value holding a function reference, copied and deleted. */
  wasm_val_t fv = {.kind = WASM_FUNCREF, .of.ref = wasm_func_as_ref(wasm_func_copy(run))};
  wasm_val_t fv2;
  wasm_val_copy(&fv2, &fv);
  CHECK(wasm_ref_same(fv.of.ref, fv2.of.ref));
  wasm_val_delete(&fv);
  wasm_val_delete(&fv2);

  /* Host info and foreign objects. */
  wasm_foreign_t *foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info(foreign, &factor);
  CHECK(wasm_foreign_get_host_info(foreign) == &factor);
  wasm_ref_t *fr = wasm_foreign_as_ref(foreign);
  CHECK(wasm_ref_as_foreign(fr) == foreign && wasm_ref_as_func(fr) == NULL);
  wasm_foreign_delete(foreign);

  /* Host-made memory, global and table. */
  wasm_limits_t lim = {1, 2};
  wasm_memorytype_t *hmt = wasm_memorytype_new(&lim);
  wasm_memory_t *hm = wasm_memory_new(store, hmt);
  CHECK(hm != NULL && wasm_memory_size(hm) == 1);
  wasm_memory_delete(hm);
  wasm_memorytype_delete(hmt);
  wasm_globaltype_t *hgt = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST);
  wasm_val_t init = WASM_F32_VAL(1.25f);
  wasm_global_t *hg = wasm_global_new(store, hgt, &init);
  wasm_global_get(hg, &gv);
  CHECK(gv.kind == WASM_F32 && gv.of.f32 == 1.25f);
  wasm_global_delete(hg);
  wasm_globaltype_delete(hgt);
  wasm_tabletype_t *htt = wasm_tabletype_new(wasm_valtype_new_funcref(), &lim);
  wasm_table_t *ht = wasm_table_new(store, htt, NULL);
  CHECK(ht != NULL && wasm_table_size(ht) == 1);
  wasm_table_delete(ht);
  wasm_tabletype_delete(htt);

  /* Shared modules. */
  wasm_shared_module_t *shared = wasm_module_share(module);
  wasm_module_t *again = wasm_module_obtain(store, shared);
  CHECK(again != NULL);
  wasm_module_delete(again);
  wasm_shared_module_delete(shared);

  /* Vectors. */
  wasm_valtype_vec_t vt;
  wasm_valtype_vec_new_uninitialized(&vt, 2);
  vt.data[0] = wasm_valtype_new_i32();
  vt.data[1] = wasm_valtype_new_funcref();
  wasm_valtype_vec_t vt2;
  wasm_valtype_vec_copy(&vt2, &vt);
  CHECK(vt2.size == 2 && wasm_valtype_kind(vt2.data[1]) == WASM_FUNCREF);
  CHECK(wasm_valtype_is_ref(vt2.data[1]) && wasm_valtype_is_num(vt2.data[0]));
  wasm_valtype_vec_delete(&vt);
  wasm_valtype_vec_delete(&vt2);
  wasm_name_t name;
  wasm_name_new_from_string(&name, "abc");
  CHECK(name.size == 3);
  wasm_name_delete(&name);

  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(instance);
  wasm_func_delete(hello_fn);
  wasm_func_delete(scale_fn);
  wasm_functype_delete(hello_ty);
  wasm_functype_delete(scale_ty);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);
  CHECK(env_finalized == 0);
  wasm_store_delete(store);
  CHECK(env_finalized == 1);
  wasm_engine_delete(engine);
  return 0;
}
