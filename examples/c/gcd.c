/*
 * gcd.c: calling an exported wasm function from C.
 *
 * gcd.wat exports `gcd : (i32, i32) -> i32`. We instantiate it (it has no
 * imports, so wasmtime_instance_new with an empty import list is enough)
 * and call it with wasmtime_func_call, passing and receiving
 * wasmtime_val_t values.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <wasmtime.h>

#include "example.h"

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *context = wasmtime_store_context(store);

  printf("Compiling gcd.wat...\n");
  wasmtime_module_t *module = load_module(engine, "gcd.wat");

  printf("Instantiating...\n");
  wasmtime_instance_t instance;
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error =
      wasmtime_instance_new(context, module, NULL, 0, &instance, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("instantiating", error, trap);

  wasmtime_extern_t gcd =
      get_export(context, &instance, "gcd", WASMTIME_EXTERN_FUNC);

  /* Each value carries its type (`kind`) next to its payload (`of`).
   * wasmtime_func_call checks both the count and the types against the
   * function's signature and reports a mismatch as an error. */
  static const int32_t inputs[][2] = {{6, 27}, {1071, 462}, {17, 0}};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    wasmtime_val_t args[2];
    args[0].kind = WASMTIME_I32;
    args[0].of.i32 = inputs[i][0];
    args[1].kind = WASMTIME_I32;
    args[1].of.i32 = inputs[i][1];
    wasmtime_val_t result;

    error = wasmtime_func_call(context, &gcd.of.func, args, 2, &result, 1,
                               &trap);
    if (error != NULL || trap != NULL)
      exit_with_error("calling gcd", error, trap);
    printf("gcd(%" PRId32 ", %" PRId32 ") = %" PRId32 "\n", inputs[i][0],
           inputs[i][1], result.of.i32);
  }

  /* Passing the wrong number of arguments is an error, not a crash. */
  wasmtime_val_t one = {.kind = WASMTIME_I32, .of.i32 = 1};
  wasmtime_val_t result;
  error = wasmtime_func_call(context, &gcd.of.func, &one, 1, &result, 1, &trap);
  if (error == NULL) {
    fprintf(stderr, "error: calling gcd with one argument succeeded\n");
    return 1;
  }
  wasm_byte_vec_t message;
  wasmtime_error_message(error, &message);
  printf("gcd(1) fails as expected: %.*s\n", (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  wasmtime_error_delete(error);

  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
