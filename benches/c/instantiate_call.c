/*
 * instantiate_call.c: instantiation and call overhead through the C API.
 *
 * Builds against Kiln's or Wasmtime's headers and library alike (see
 * run.sh). A tiny module (1 memory page, a 10-element funcref table, 3
 * globals, exports `nop : () -> ()` and `add : (i32, i32) -> i32`) is
 * compiled once and pre-linked into an instance_pre. Each figure is the
 * median, over 7 rounds, of the time per iteration; a round runs N
 * iterations, with N calibrated so that a round takes about 0.2 s.
 *
 * Output: one `name<TAB>ns_per_iteration` line per figure.
 */

#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasmtime.h>

#define ROUNDS 7
#define ROUND_NS 200e6

static const char MODULE_WAT[] =
    "(module\n"
    "  (memory (export \"memory\") 1)\n"
    "  (table (export \"table\") 10 funcref)\n"
    "  (global (export \"g0\") (mut i32) (i32.const 0))\n"
    "  (global (export \"g1\") (mut i64) (i64.const 1))\n"
    "  (global (export \"g2\") f64 (f64.const 2))\n"
    "  (func (export \"nop\"))\n"
    "  (func (export \"add\") (param i32 i32) (result i32)\n"
    "    (i32.add (local.get 0) (local.get 1))))\n";

/* Results go here so that the compiler cannot drop the work. */
static volatile int64_t sink;
#define BARRIER() __asm__ volatile("" ::: "memory")

/* Shared state: built once in main. */
static wasm_engine_t *engine;
static wasmtime_instance_pre_t *instance_pre;
static wasmtime_store_t *long_store; /* the long-lived instance's store */
static wasmtime_func_t nop_func, add_func;

static void die(const char *what, wasmtime_error_t *error, wasm_trap_t *trap) {
  wasm_byte_vec_t message;
  if (error != NULL) {
    wasmtime_error_message(error, &message);
    wasmtime_error_delete(error);
  } else if (trap != NULL) {
    wasm_trap_message(trap, &message);
    wasm_trap_delete(trap);
  } else {
    fprintf(stderr, "error: %s\n", what);
    exit(1);
  }
  fprintf(stderr, "error: %s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static wasmtime_func_t get_func(wasmtime_context_t *context,
                                wasmtime_instance_t *instance,
                                const char *name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, instance, name, strlen(name),
                                    &item) ||
      item.kind != WASMTIME_EXTERN_FUNC)
    die(name, NULL, NULL);
  return item.of.func;
}

/* store_new + instantiate through the instance_pre; exits on failure. */
static wasmtime_store_t *new_instance(wasmtime_instance_t *instance) {
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error = wasmtime_instance_pre_instantiate(
      instance_pre, wasmtime_store_context(store), instance, &trap);
  if (error != NULL || trap != NULL)
    die("instantiate", error, trap);
  return store;
}

/* ---- The benchmarks: each runs `n` iterations. ---- */

static void bench_store_new_delete(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
    BARRIER();
    wasmtime_store_delete(store);
  }
}

static void bench_cold_start(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_instance_t instance;
    wasmtime_store_t *store = new_instance(&instance);
    wasmtime_context_t *context = wasmtime_store_context(store);
    wasmtime_func_t nop = get_func(context, &instance, "nop");
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error =
        wasmtime_func_call(context, &nop, NULL, 0, NULL, 0, &trap);
    if (error != NULL || trap != NULL)
      die("call nop", error, trap);
    wasmtime_store_delete(store);
  }
}

static void bench_instantiate_raw(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_instance_t instance;
    wasmtime_store_t *store = new_instance(&instance);
    BARRIER();
    wasmtime_store_delete(store);
  }
}

static void bench_func_call_nop(uint64_t n) {
  wasmtime_context_t *context = wasmtime_store_context(long_store);
  for (uint64_t i = 0; i < n; i++) {
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error =
        wasmtime_func_call(context, &nop_func, NULL, 0, NULL, 0, &trap);
    if (error != NULL || trap != NULL)
      die("call nop", error, trap);
  }
}

static void bench_func_call_unchecked_nop(uint64_t n) {
  wasmtime_context_t *context = wasmtime_store_context(long_store);
  wasmtime_val_raw_t raw[1];
  memset(raw, 0, sizeof raw);
  for (uint64_t i = 0; i < n; i++) {
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error =
        wasmtime_func_call_unchecked(context, &nop_func, raw, 1, &trap);
    if (error != NULL || trap != NULL)
      die("call nop (unchecked)", error, trap);
  }
}

static void bench_func_call_add(uint64_t n) {
  wasmtime_context_t *context = wasmtime_store_context(long_store);
  int64_t total = 0;
  for (uint64_t i = 0; i < n; i++) {
    wasmtime_val_t args[2], result;
    args[0].kind = WASMTIME_I32;
    args[0].of.i32 = (int32_t)i;
    args[1].kind = WASMTIME_I32;
    args[1].of.i32 = 1;
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error =
        wasmtime_func_call(context, &add_func, args, 2, &result, 1, &trap);
    if (error != NULL || trap != NULL)
      die("call add", error, trap);
    total += result.of.i32;
  }
  sink = total;
}

/* ---- Measurement ---- */

typedef void (*bench_fn)(uint64_t n);

static double round_ns(bench_fn f, uint64_t n) {
  uint64_t start = now_ns();
  f(n);
  BARRIER();
  return (double)(now_ns() - start);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median over ROUNDS rounds of the nanoseconds per iteration. */
static double measure(bench_fn f) {
  /* Calibrate (this also warms up): grow n until a round takes >= 20 ms,
   * then scale it to ROUND_NS. */
  uint64_t n = 1;
  for (;;) {
    double t = round_ns(f, n);
    if (t >= ROUND_NS / 10) {
      n = (uint64_t)((double)n * ROUND_NS / t);
      break;
    }
    n *= t > 0 && ROUND_NS / 10 / t < 10 ? 2 : 10;
  }
  if (n == 0)
    n = 1;
  double per_iter[ROUNDS];
  for (int r = 0; r < ROUNDS; r++)
    per_iter[r] = round_ns(f, n) / (double)n;
  qsort(per_iter, ROUNDS, sizeof per_iter[0], compare_doubles);
  return per_iter[ROUNDS / 2];
}

static void report(const char *name, double ns) {
  printf("%s\t%.1f\n", name, ns);
  fflush(stdout);
}

int main(void) {
  engine = wasm_engine_new();

  wasm_byte_vec_t wasm;
  wasmtime_error_t *error =
      wasmtime_wat2wasm(MODULE_WAT, sizeof MODULE_WAT - 1, &wasm);
  if (error != NULL)
    die("wat2wasm", error, NULL);
  wasmtime_module_t *module = NULL;
  error = wasmtime_module_new(engine, (const uint8_t *)wasm.data, wasm.size,
                              &module);
  wasm_byte_vec_delete(&wasm);
  if (error != NULL)
    die("compile", error, NULL);

  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  error = wasmtime_linker_instantiate_pre(linker, module, &instance_pre);
  if (error != NULL)
    die("instantiate_pre", error, NULL);

  /* The long-lived instance the call benchmarks use. */
  wasmtime_instance_t instance;
  long_store = new_instance(&instance);
  wasmtime_context_t *context = wasmtime_store_context(long_store);
  nop_func = get_func(context, &instance, "nop");
  add_func = get_func(context, &instance, "add");

  double store_new_delete = measure(bench_store_new_delete);
  report("store_new_delete", store_new_delete);
  report("cold_start", measure(bench_cold_start));
  double instantiate_raw = measure(bench_instantiate_raw);
  report("instantiate_raw", instantiate_raw);
  report("instantiate", instantiate_raw - store_new_delete);
  report("func_call_nop", measure(bench_func_call_nop));
  report("func_call_unchecked_nop", measure(bench_func_call_unchecked_nop));
  report("func_call_add", measure(bench_func_call_add));

  wasmtime_store_delete(long_store);
  wasmtime_instance_pre_delete(instance_pre);
  wasmtime_linker_delete(linker);
  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
  return 0;
}
