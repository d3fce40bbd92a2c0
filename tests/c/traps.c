/* Traps: codes, messages, origin and backtrace frames (with names from
 * the name section), host traps, and a start function that traps. */
#include "check.h"

static const char *WAT =
    "(module $m"
    "  (type $v (func))"
    "  (import \"host\" \"fail\" (func $fail))"
    "  (import \"host\" \"code\" (func $code))"
    "  (table 2 funcref) (elem (i32.const 0) $div)"
    "  (func $unreach (export \"unreachable\") unreachable)"
    "  (func $outer (export \"nested\") call $unreach)"
    "  (func $div (export \"div\") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s)"
    "  (func (export \"bad_sig\") i32.const 0 call_indirect (type $v))"
    "  (func (export \"null_elem\") i32.const 1 call_indirect (type $v))"
    "  (func (export \"oob_elem\") i32.const 9 call_indirect (type $v))"
    "  (func $rec (export \"overflow\") call $rec)"
    "  (func (export \"host_fail\") call $fail)"
    "  (func (export \"host_code\") call $code))";

static wasm_trap_t *fail(void *env, wasmtime_caller_t *c, const wasmtime_val_t *a,
                         size_t na, wasmtime_val_t *r, size_t nr) {
  (void)env; (void)c; (void)a; (void)na; (void)r; (void)nr;
  return wasmtime_trap_new("host says no", 12);
}

static wasm_trap_t *code(void *env, wasmtime_caller_t *c, const wasmtime_val_t *a,
                         size_t na, wasmtime_val_t *r, size_t nr) {
  (void)env; (void)c; (void)a; (void)na; (void)r; (void)nr;
  return wasmtime_trap_new_code(WASMTIME_TRAP_CODE_INTEGER_OVERFLOW);
}

static wasm_trap_t *call0(wasmtime_context_t *ctx, wasmtime_instance_t *inst,
                          const char *name, wasmtime_error_t **err) {
  wasmtime_extern_t f;
  CHECK(wasmtime_instance_export_get(ctx, inst, name, strlen(name), &f));
  wasm_trap_t *trap = NULL;
  wasmtime_val_t arg = {.kind = WASMTIME_I32, .of.i32 = 0}, res;
  wasm_functype_t *ty = wasmtime_func_type(ctx, &f.of.func);
  size_t np = wasm_functype_params(ty)->size, nr = wasm_functype_results(ty)->size;
  wasm_functype_delete(ty);
  *err = wasmtime_func_call(ctx, &f.of.func, &arg, np, &res, nr, &trap);
  return trap;
}

static int message_contains(const wasm_trap_t *trap, const char *needle) {
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  CHECK(msg.size > 0 && msg.data[msg.size - 1] == 0);
  int found = strstr(msg.data, needle) != NULL;
  if (!found) fprintf(stderr, "trap message: %s\n", msg.data);
  wasm_byte_vec_delete(&msg);
  return found;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasm_functype_t *v = wasm_functype_new_0_0();
  wasmtime_extern_t imports[2] = {{.kind = WASMTIME_EXTERN_FUNC}, {.kind = WASMTIME_EXTERN_FUNC}};
  wasmtime_func_new(ctx, v, fail, NULL, NULL, &imports[0].of.func);
  wasmtime_func_new(ctx, v, code, NULL, NULL, &imports[1].of.func);
  wasm_functype_delete(v);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, imports, 2, &inst, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_error_t *err = NULL;

  /* unreachable, called through another function: two frames. */
  trap = call0(ctx, &inst, "nested", &err);
  CHECK(err == NULL && trap != NULL);
  CHECK(message_contains(trap, "unreachable"));
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  CHECK(frames.size == 2);
  CHECK(wasm_frame_func_index(frames.data[0]) == 2);
  CHECK(wasm_frame_func_index(frames.data[1]) == 3);
  const wasm_name_t *fname = wasmtime_frame_func_name(frames.data[0]);
  CHECK(fname != NULL && fname->size == 7 && memcmp(fname->data, "unreach", 7) == 0);
  const wasm_name_t *mname = wasmtime_frame_module_name(frames.data[0]);
  CHECK(mname != NULL && mname->size == 1 && mname->data[0] == 'm');
  CHECK(wasm_frame_module_offset(frames.data[0]) != (size_t)-1);
  CHECK(wasm_frame_module_offset(frames.data[0]) > wasm_frame_func_offset(frames.data[0]));
  wasm_frame_t *origin = wasm_trap_origin(trap);
  CHECK(origin != NULL && wasm_frame_func_index(origin) == 2);
  wasm_frame_t *copy = wasm_frame_copy(origin);
  CHECK(wasm_frame_module_offset(copy) == wasm_frame_module_offset(origin));
  wasm_frame_delete(copy);
  wasm_frame_delete(origin);
  wasm_frame_vec_delete(&frames);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED);

  trap = call0(ctx, &inst, "div", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO);
  trap = call0(ctx, &inst, "bad_sig", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_BAD_SIGNATURE);
  trap = call0(ctx, &inst, "null_elem", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INDIRECT_CALL_TO_NULL);
  trap = call0(ctx, &inst, "oob_elem", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_TABLE_OUT_OF_BOUNDS);
  trap = call0(ctx, &inst, "overflow", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_STACK_OVERFLOW);

  /* A host trap with a message is returned as an error (it has no trap
   * code), as Wasmtime does; one made with a code is a trap. */
  trap = call0(ctx, &inst, "host_fail", &err);
  CHECK(trap == NULL);
  CHECK(error_contains(err, "host says no"));
  trap = call0(ctx, &inst, "host_code", &err);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTEGER_OVERFLOW);

  /* The store still works after all of that. */
  trap = call0(ctx, &inst, "div", &err);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO);

  /* A trapping start function: a trap, no error, no instance. */
  wasmtime_module_t *start = compile_wat(
      engine, "(module (func $s unreachable) (start $s))");
  err = wasmtime_instance_new(ctx, start, NULL, 0, &inst, &trap);
  CHECK(err == NULL);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED);
  wasmtime_module_delete(start);

  /* wasm_trap_new and its message. */
  wasm_store_t *wstore = wasm_store_new(engine);
  wasm_message_t text;
  wasm_name_new_from_string_nt(&text, "custom trap");
  wasm_trap_t *custom = wasm_trap_new(wstore, &text);
  wasm_byte_vec_delete(&text);
  CHECK(message_contains(custom, "custom trap"));
  wasmtime_trap_code_t c;
  CHECK(!wasmtime_trap_code(custom, &c));
  wasm_trap_delete(custom);
  wasm_store_delete(wstore);

  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
