/*
 * memory.c: working with a module's linear memory from the host.
 *
 * memory.wat exports a memory (1 page, at most 2) and `size`, `load`,
 * `store` helpers. We read and write the memory both directly, through the
 * pointer wasmtime_memory_data returns, and through the wasm helpers; grow
 * it; and make an out-of-bounds access trap.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasmtime.h>

#include "example.h"

/*
 * Call `func` with up to two i32 arguments and at most one i32 result.
 * Errors (bad arguments and the like) end the program; a trap is handed
 * back to the caller, who may expect one. On success *result is set.
 */
static wasm_trap_t *call(wasmtime_context_t *context, const wasmtime_func_t *func,
                         size_t nargs, int32_t a, int32_t b, size_t nresults,
                         int32_t *result) {
  wasmtime_val_t args[2] = {{.kind = WASMTIME_I32, .of.i32 = a},
                            {.kind = WASMTIME_I32, .of.i32 = b}};
  wasmtime_val_t results[1];
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error =
      wasmtime_func_call(context, func, args, nargs, results, nresults, &trap);
  if (error != NULL)
    exit_with_error("calling a function", error, NULL);
  if (trap == NULL && nresults == 1)
    *result = results[0].of.i32;
  return trap;
}

/* Call `func` and exit if it traps. */
static int32_t call_ok(wasmtime_context_t *context, const wasmtime_func_t *func,
                       size_t nargs, int32_t a, int32_t b, size_t nresults) {
  int32_t result = 0;
  wasm_trap_t *trap = call(context, func, nargs, a, b, nresults, &result);
  if (trap != NULL)
    exit_with_error("unexpected trap", NULL, trap);
  return result;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *context = wasmtime_store_context(store);

  printf("Compiling memory.wat...\n");
  wasmtime_module_t *module = load_module(engine, "memory.wat");

  printf("Instantiating...\n");
  wasmtime_instance_t instance;
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error =
      wasmtime_instance_new(context, module, NULL, 0, &instance, &trap);
  if (error != NULL || trap != NULL)
    exit_with_error("instantiating", error, trap);

  wasmtime_memory_t memory =
      get_export(context, &instance, "memory", WASMTIME_EXTERN_MEMORY).of.memory;
  wasmtime_func_t size =
      get_export(context, &instance, "size", WASMTIME_EXTERN_FUNC).of.func;
  wasmtime_func_t load =
      get_export(context, &instance, "load", WASMTIME_EXTERN_FUNC).of.func;
  wasmtime_func_t store_fn =
      get_export(context, &instance, "store", WASMTIME_EXTERN_FUNC).of.func;

  /* Sizes: the host sees pages and bytes, the guest `memory.size`. */
  printf("Memory: %" PRIu64 " page(s), %zu bytes; wasm says %" PRId32
         " page(s)\n",
         wasmtime_memory_size(context, &memory),
         wasmtime_memory_data_size(context, &memory),
         call_ok(context, &size, 0, 0, 0, 1));

  /* The data segment initialised four bytes at 0x100. The host reads them
   * straight from the memory's bytes. */
  uint8_t *data = wasmtime_memory_data(context, &memory);
  printf("Bytes at 0x100 (host read): %d %d %d %d\n", data[0x100],
         data[0x101], data[0x102], data[0x103]);

  /* A host write is visible to wasm, and a wasm write to the host. */
  data[0x200] = 42;
  printf("Host wrote 42 at 0x200; wasm load(0x200) = %" PRId32 "\n",
         call_ok(context, &load, 1, 0x200, 0, 1));
  call_ok(context, &store_fn, 2, 0x201, 99, 0);
  printf("Wasm stored 99 at 0x201; host reads %d\n", data[0x201]);

  /* 0x10000 is one past the end of a 1-page memory: loading there traps.
   * The trap has a code telling why, and a message. */
  int32_t ignored;
  trap = call(context, &load, 1, 0x10000, 0, 1, &ignored);
  if (trap == NULL) {
    fprintf(stderr, "error: load(0x10000) did not trap\n");
    return 1;
  }
  wasmtime_trap_code_t code;
  if (!wasmtime_trap_code(trap, &code) ||
      code != WASMTIME_TRAP_CODE_MEMORY_OUT_OF_BOUNDS) {
    fprintf(stderr, "error: expected an out-of-bounds trap code\n");
    return 1;
  }
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  size_t length = message.size; /* drop the trailing NUL and newlines */
  while (length > 0 && (message.data[length - 1] == '\0' ||
                        message.data[length - 1] == '\n'))
    length--;
  printf("load(0x10000) trapped with code %d (MEMORY_OUT_OF_BOUNDS):\n%.*s\n",
         (int)code, (int)length, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);

  /* Grow by one page. The old size is returned. Growing may move the
   * memory, so fetch the data pointer again afterwards. */
  uint64_t old_pages;
  error = wasmtime_memory_grow(context, &memory, 1, &old_pages);
  if (error != NULL)
    exit_with_error("growing the memory", error, NULL);
  data = wasmtime_memory_data(context, &memory);
  printf("Grew from %" PRIu64 " to %" PRIu64 " page(s); load(0x10000) = %" PRId32
         "\n",
         old_pages, wasmtime_memory_size(context, &memory),
         call_ok(context, &load, 1, 0x10000, 0, 1));
  data[0x1ffff] = 7;
  printf("Host wrote 7 at the last byte; wasm load(0x1ffff) = %" PRId32 "\n",
         call_ok(context, &load, 1, 0x1ffff, 0, 1));

  /* The maximum is 2 pages, so growing again fails (an error, not a trap)
   * and leaves the memory as it was. */
  error = wasmtime_memory_grow(context, &memory, 1, &old_pages);
  if (error == NULL) {
    fprintf(stderr, "error: growing past the maximum succeeded\n");
    return 1;
  }
  wasmtime_error_message(error, &message);
  printf("Growing past the maximum fails: %.*s\n", (int)message.size,
         message.data);
  wasm_byte_vec_delete(&message);
  wasmtime_error_delete(error);
  printf("Still %" PRIu64 " page(s)\n", wasmtime_memory_size(context, &memory));

  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
