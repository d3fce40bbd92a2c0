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

/* Print a message for `error` or `trap` (whichever is set), free it, exit. */
static void exit_with_error(const char *what, wasmtime_error_t *error,
                            wasm_trap_t *trap) {
  wasm_byte_vec_t message;
  if (error != NULL) {
    wasmtime_error_message(error, &message);
    wasmtime_error_delete(error);
  } else {
    wasm_trap_message(trap, &message);
    wasm_trap_delete(trap);
  }
  fprintf(stderr, "error: %s: %.*s\n", what, (int)message.size, message.data);
  wasm_byte_vec_delete(&message);
  exit(1);
}

/* Read a .wat file, turn it into wasm bytes and compile it. */
static wasmtime_module_t *load_module(wasm_engine_t *engine, const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    perror(path);
    exit(1);
  }
  long size = fseek(file, 0, SEEK_END) == 0 ? ftell(file) : -1;
  wasm_byte_vec_t wat;
  wasm_byte_vec_new_uninitialized(&wat, size > 0 ? (size_t)size : 0);
  rewind(file);
  if (size < 0 || fread(wat.data, 1, wat.size, file) != wat.size) {
    fprintf(stderr, "error: cannot read %s\n", path);
    exit(1);
  }
  fclose(file);

  wasm_byte_vec_t wasm;
  wasmtime_error_t *error = wasmtime_wat2wasm(wat.data, wat.size, &wasm);
  wasm_byte_vec_delete(&wat);
  if (error != NULL)
    exit_with_error("parsing the text format", error, NULL);

  wasmtime_module_t *module = NULL;
  error = wasmtime_module_new(engine, (const uint8_t *)wasm.data, wasm.size,
                              &module);
  wasm_byte_vec_delete(&wasm);
  if (error != NULL)
    exit_with_error("compiling the module", error, NULL);
  return module;
}

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
  wasmtime_extern_t run;
  if (!wasmtime_instance_export_get(context, &instance, "run", 3, &run) ||
      run.kind != WASMTIME_EXTERN_FUNC) {
    fprintf(stderr, "error: no function export `run`\n");
    return 1;
  }

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
