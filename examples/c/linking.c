/*
 * linking.c: two modules linked together through a wasmtime_linker.
 *
 * linking1.wat exports a memory holding a greeting and two functions;
 * linking2.wat has no memory of its own and imports all three from
 * "linking1". We instantiate linking1, register that instance in the linker
 * under the name "linking1" (wasmtime_linker_define_instance), then let the
 * linker satisfy linking2's imports from it. Both modules then share one
 * memory.
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
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);

  printf("Compiling linking1.wat and linking2.wat...\n");
  wasmtime_module_t *module1 = load_module(engine, "linking1.wat");
  wasmtime_module_t *module2 = load_module(engine, "linking2.wat");

  /* linking1 imports nothing; the (still empty) linker can instantiate it. */
  printf("Instantiating linking1...\n");
  wasmtime_instance_t instance1;
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error =
      wasmtime_linker_instantiate(linker, context, module1, &instance1, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("instantiating linking1", error, trap);

  /* Every export of instance1 becomes a linker definition named
   * "linking1" "<export name>", which is what linking2 imports. */
  error = wasmtime_linker_define_instance(linker, context, "linking1", 8,
                                          &instance1);
  if (error != NULL)
    exit_with_error("defining linking1 in the linker", error, NULL);

  printf("Instantiating linking2 (imports resolved by the linker)...\n");
  wasmtime_instance_t instance2;
  error = wasmtime_linker_instantiate(linker, context, module2, &instance2, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("instantiating linking2", error, trap);

  /* The greeting lives in linking1's memory. */
  wasmtime_extern_t memory =
      get_export(context, &instance1, "memory", WASMTIME_EXTERN_MEMORY);
  const char *greeting =
      (const char *)wasmtime_memory_data(context, &memory.of.memory);
  printf("Greeting before: %.20s\n", greeting);

  /* linking2's `run` edits the shared memory and calls back into linking1. */
  wasmtime_extern_t run =
      get_export(context, &instance2, "run", WASMTIME_EXTERN_FUNC);
  wasmtime_val_t result;
  error = wasmtime_func_call(context, &run.of.func, NULL, 0, &result, 1, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("calling linking2's run", error, trap);

  /* Re-read the data pointer: a call may have grown (and moved) memory. */
  greeting = (const char *)wasmtime_memory_data(context, &memory.of.memory);
  printf("Greeting after:  %.20s\n", greeting);
  printf("Byte sum computed by linking1's sum_bytes: %" PRId32 "\n",
         result.of.i32);

  wasmtime_module_delete(module2);
  wasmtime_module_delete(module1);
  wasmtime_linker_delete(linker);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
