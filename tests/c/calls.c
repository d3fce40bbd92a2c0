/* The call paths of wasmtime_func_call and wasmtime_func_call_unchecked:
 * defined functions, functions imported from another instance and from
 * the host and re-exported, mixed number types, results that need more
 * slots than arguments, traps, and the errors for bad arguments (wrong
 * count, wrong kind, too few raw slots), after which calls still work. */
#include "check.h"

#include <math.h>
#include <stdint.h>

static const char *LIB_WAT =
    "(module"
    "  (func (export \"sub\") (param i64 i64) (result i64)"
    "    local.get 0 local.get 1 i64.sub))";

static const char *WAT =
    "(module"
    "  (import \"lib\" \"sub\" (func $sub (param i64 i64) (result i64)))"
    "  (import \"host\" \"neg\" (func $neg (param f64) (result f64)))"
    "  (export \"sub\" (func $sub))"
    "  (export \"neg\" (func $neg))"
    "  (func (export \"nop\"))"
    "  (func (export \"mix\") (param f64 i64 f32 i32)"
    "                         (result i32 f32 i64 f64)"
    "    local.get 3 local.get 2 local.get 1 local.get 0)"
    "  (func (export \"three\") (result i32 i64 f64)"
    "    i32.const 7 i64.const -8 f64.const 9.5)"
    "  (func (export \"div\") (param i32 i32) (result i32)"
    "    local.get 0 local.get 1 i32.div_s)"
    "  (func (export \"neg_twice\") (param f64) (result f64)"
    "    local.get 0 call $neg call $neg))";

static wasm_trap_t *neg(void *env, wasmtime_caller_t *caller,
                        const wasmtime_val_t *args, size_t nargs,
                        wasmtime_val_t *results, size_t nresults) {
  (void)caller;
  CHECK(nargs == 1 && nresults == 1 && args[0].kind == WASMTIME_F64);
  ++*(int *)env;
  results[0].kind = WASMTIME_F64;
  results[0].of.f64 = -args[0].of.f64;
  return NULL;
}

static wasmtime_func_t export_func(wasmtime_context_t *ctx,
                                   const wasmtime_instance_t *inst,
                                   const char *name) {
  return get_export(ctx, inst, name, WASMTIME_EXTERN_FUNC).of.func;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasm_trap_t *trap = NULL;

  wasmtime_module_t *lib_module = compile_wat(engine, LIB_WAT);
  wasmtime_instance_t lib;
  CHECK_OK(wasmtime_instance_new(ctx, lib_module, NULL, 0, &lib, &trap));
  CHECK_NO_TRAP(trap);

  int neg_calls = 0;
  wasm_functype_t *neg_ty =
      wasm_functype_new_1_1(wasm_valtype_new(WASM_F64), wasm_valtype_new(WASM_F64));
  wasmtime_extern_t imports[2];
  imports[0] = get_export(ctx, &lib, "sub", WASMTIME_EXTERN_FUNC);
  imports[1].kind = WASMTIME_EXTERN_FUNC;
  wasmtime_func_new(ctx, neg_ty, neg, &neg_calls, NULL, &imports[1].of.func);
  wasm_functype_delete(neg_ty);

  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasmtime_instance_t inst;
  CHECK_OK(wasmtime_instance_new(ctx, module, imports, 2, &inst, &trap));
  CHECK_NO_TRAP(trap);

  wasmtime_func_t nop = export_func(ctx, &inst, "nop");
  wasmtime_func_t sub = export_func(ctx, &inst, "sub");
  wasmtime_func_t neg_f = export_func(ctx, &inst, "neg");
  wasmtime_func_t mix = export_func(ctx, &inst, "mix");
  wasmtime_func_t three = export_func(ctx, &inst, "three");
  wasmtime_func_t div = export_func(ctx, &inst, "div");
  wasmtime_func_t neg_twice = export_func(ctx, &inst, "neg_twice");

  /* A no-op, both ways; NULL argument arrays are fine with length 0. */
  CHECK_OK(wasmtime_func_call(ctx, &nop, NULL, 0, NULL, 0, &trap));
  CHECK_NO_TRAP(trap);
  wasmtime_val_raw_t raw[4];
  memset(raw, 0, sizeof raw);
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &nop, raw, 0, &trap));
  CHECK_NO_TRAP(trap);

  /* A wasm function of another instance, re-exported. */
  wasmtime_val_t args[4], results[4];
  args[0].kind = WASMTIME_I64;
  args[0].of.i64 = 10;
  args[1].kind = WASMTIME_I64;
  args[1].of.i64 = 52;
  CHECK_OK(wasmtime_func_call(ctx, &sub, args, 2, results, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].kind == WASMTIME_I64 && results[0].of.i64 == -42);
  raw[0].i64 = INT64_MIN;
  raw[1].i64 = 1;
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &sub, raw, 2, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(raw[0].i64 == INT64_MAX);

  /* A host function, re-exported, and called from wasm. */
  args[0].kind = WASMTIME_F64;
  args[0].of.f64 = 2.5;
  CHECK_OK(wasmtime_func_call(ctx, &neg_f, args, 1, results, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].kind == WASMTIME_F64 && results[0].of.f64 == -2.5);
  raw[0].f64 = -0.0;
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &neg_f, raw, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(raw[0].f64 == 0.0 && !signbit(raw[0].f64));
  CHECK_OK(wasmtime_func_call(ctx, &neg_twice, args, 1, results, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].of.f64 == 2.5);
  CHECK(neg_calls == 4);

  /* Every number type, in and out, reordered. */
  args[0].kind = WASMTIME_F64;
  args[0].of.f64 = -1.25;
  args[1].kind = WASMTIME_I64;
  args[1].of.i64 = -(INT64_C(1) << 40);
  args[2].kind = WASMTIME_F32;
  args[2].of.f32 = 3.5f;
  args[3].kind = WASMTIME_I32;
  args[3].of.i32 = -7;
  CHECK_OK(wasmtime_func_call(ctx, &mix, args, 4, results, 4, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].kind == WASMTIME_I32 && results[0].of.i32 == -7);
  CHECK(results[1].kind == WASMTIME_F32 && results[1].of.f32 == 3.5f);
  CHECK(results[2].kind == WASMTIME_I64 && results[2].of.i64 == -(INT64_C(1) << 40));
  CHECK(results[3].kind == WASMTIME_F64 && results[3].of.f64 == -1.25);
  raw[0].f64 = 0.5;
  raw[1].i64 = 9;
  raw[2].f32 = -2.0f;
  raw[3].i32 = 11;
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &mix, raw, 4, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(raw[0].i32 == 11 && raw[1].f32 == -2.0f && raw[2].i64 == 9 && raw[3].f64 == 0.5);

  /* More results than arguments: the result slots need not be set. */
  CHECK_OK(wasmtime_func_call(ctx, &three, NULL, 0, results, 3, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].kind == WASMTIME_I32 && results[0].of.i32 == 7);
  CHECK(results[1].kind == WASMTIME_I64 && results[1].of.i64 == -8);
  CHECK(results[2].kind == WASMTIME_F64 && results[2].of.f64 == 9.5);
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &three, raw, 3, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(raw[0].i32 == 7 && raw[1].i64 == -8 && raw[2].f64 == 9.5);

  /* Bad calls are errors, not traps, and change nothing. */
  args[0].kind = WASMTIME_I32;
  args[0].of.i32 = 1;
  args[1].kind = WASMTIME_I64; /* div takes (i32, i32) */
  args[1].of.i64 = 1;
  CHECK(error_contains(wasmtime_func_call(ctx, &div, args, 2, results, 1, &trap), "type"));
  CHECK(trap == NULL);
  args[1].kind = WASMTIME_I32;
  CHECK(error_contains(wasmtime_func_call(ctx, &div, args, 1, results, 1, &trap), "argument"));
  CHECK(trap == NULL);
  CHECK(error_contains(wasmtime_func_call(ctx, &div, args, 2, results, 0, &trap), "result"));
  CHECK(trap == NULL);
#ifdef KILN_VERSION
  /* Too few raw slots: Kiln checks (Wasmtime aborts the process). */
  CHECK(error_contains(wasmtime_func_call_unchecked(ctx, &three, raw, 2, &trap), "slots"));
  CHECK(trap == NULL);
  CHECK(error_contains(wasmtime_func_call_unchecked(ctx, &neg_f, raw, 0, &trap), "slots"));
  CHECK(trap == NULL);
#endif

  /* A trap, both ways; the store stays usable. */
  args[1].of.i32 = 0;
  CHECK_OK(wasmtime_func_call(ctx, &div, args, 2, results, 1, &trap));
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO);
  trap = NULL;
  raw[0].i32 = INT32_MIN;
  raw[1].i32 = -1;
  CHECK_OK(wasmtime_func_call_unchecked(ctx, &div, raw, 2, &trap));
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_INTEGER_OVERFLOW);
  trap = NULL;
  args[0].of.i32 = 84;
  args[1].of.i32 = -2;
  CHECK_OK(wasmtime_func_call(ctx, &div, args, 2, results, 1, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(results[0].kind == WASMTIME_I32 && results[0].of.i32 == -42);

  /* Many calls in a row leave nothing behind (valgrind checks). */
  for (int i = 0; i < 1000; i++) {
    raw[0].i32 = i;
    raw[1].i32 = 3;
    CHECK_OK(wasmtime_func_call_unchecked(ctx, &div, raw, 2, &trap));
    CHECK_NO_TRAP(trap);
    CHECK(raw[0].i32 == i / 3);
  }

  wasmtime_module_delete(module);
  wasmtime_module_delete(lib_module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
