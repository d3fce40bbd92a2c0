/*
 * example.h: the two helpers every example uses.
 *
 * exit_with_error prints why an API call failed (an error or a trap),
 * frees it and exits; load_module reads a .wat file, converts it to the
 * binary format with wasmtime_wat2wasm and compiles it; get_export looks
 * an export up by name and kind.
 */
#ifndef KILN_EXAMPLE_H
#define KILN_EXAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Find the export `name` of the expected kind, or exit. */
static wasmtime_extern_t get_export(wasmtime_context_t *context,
                                    const wasmtime_instance_t *instance,
                                    const char *name, wasmtime_extern_kind_t kind) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, instance, name, strlen(name),
                                    &item) ||
      item.kind != kind) {
    fprintf(stderr, "error: missing export `%s`\n", name);
    exit(1);
  }
  return item;
}

#endif
