/*
 * hello.c: the smallest round trip between host and guest.
 *
 * The host (this program) defines a function `host.hello` in a linker; the
 * module in hello.wat imports it and exports `run`, which calls it. We
 * instantiate the module through the linker and call `run`, so control goes
 * C -> wasm -> C and back.
 */

#include <stdio.h>
#include <stdlib.h>
#include <wasmtime.h>

#include "example.h"

/*
 * The host function. Its signature is fixed by wasmtime_func_callback_t:
 * `env` is the pointer given to wasmtime_linker_define_func (here a call
 * counter), args/results are the wasm values (none for `() -> ()`).
 * Returning NULL means "no trap".
 */
static wasm_trap_t *hello_callback(void *env, wasmtime_caller_t *caller,
                                   const wasmtime_val_t *args, size_t nargs,
                                   wasmtime_val_t *results, size_t nresults) {
  (void)caller, (void)args, (void)nargs, (void)results, (void)nresults;
  int *calls = env;
  *calls += 1;
  printf("  Hello from the host! (call #%d)\n", *calls);
  return NULL;
}

int main(void) {
  /* An engine holds configuration and compiled code; a store holds the
   * instances and everything they create. Most calls take the store's
   * context. */
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *context = wasmtime_store_context(store);

  printf("Compiling hello.wat...\n");
  wasmtime_module_t *module = load_module(engine, "hello.wat");

  /* Define `host.hello : () -> ()` in a linker. The linker copies what it
   * needs from the function type, so we can delete the type right away. */
  printf("Defining host.hello...\n");
  int calls = 0;
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  wasm_functype_t *hello_type = wasm_functype_new_0_0();
  wasmtime_error_t *error = wasmtime_linker_define_func(
      linker, "host", 4, "hello", 5, hello_type, hello_callback, &calls, NULL);
  wasm_functype_delete(hello_type);
  if (error != NULL)
    exit_with_error("defining host.hello", error, NULL);

  /* The linker resolves the module's imports by name. Instantiation runs
   * the start function, if any, so it can trap as well as fail. */
  printf("Instantiating...\n");
  wasmtime_instance_t instance;
  wasm_trap_t *trap = NULL;
  error = wasmtime_linker_instantiate(linker, context, module, &instance, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("instantiating", error, trap);

  /* Look up the export `run` and make sure it is a function. */
  wasmtime_extern_t run =
      get_export(context, &instance, "run", WASMTIME_EXTERN_FUNC);

  /* `run : () -> ()`, so no arguments and no results. */
  printf("Calling run...\n");
  error = wasmtime_func_call(context, &run.of.func, NULL, 0, NULL, 0, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("calling run", error, trap);
  printf("The host function was called %d time(s).\n", calls);

  /* Externs (`run`, `instance`) belong to the store: deleting the store
   * frees them. Everything else is deleted explicitly. */
  wasmtime_linker_delete(linker);
  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
