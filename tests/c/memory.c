/* Linear memory: data access from C, growth, limits, out-of-bounds traps,
 * and a host-made memory imported by a module. */
#include "check.h"

static const char *WAT =
    "(module"
    "  (memory (export \"mem\") 1 3)"
    "  (data (i32.const 0x1000) \"\\01\\02\\03\\04\")"
    "  (func (export \"load\") (param i32) (result i32) local.get 0 i32.load8_u)"
    "  (func (export \"store\") (param i32 i32) local.get 0 local.get 1 i32.store8)"
    "  (func (export \"size\") (result i32) memory.size)"
    "  (func (export \"grow\") (param i32) (result i32) local.get 0 memory.grow))";

static const char *IMPORTER =
    "(module (import \"env\" \"mem\" (memory 2))"
    "  (func (export \"peek\") (param i32) (result i32) local.get 0 i32.load))";

static int call1(wasmtime_context_t *ctx, wasmtime_instance_t *inst,
                 const char *name, int arg, wasm_trap_t **trap) {
  wasmtime_extern_t f;
  CHECK(wasmtime_instance_export_get(ctx, inst, name, strlen(name), &f));
  wasmtime_val_t a = {.kind = WASMTIME_I32, .of.i32 = arg}, r = {0};
  *trap = NULL;
  CHECK_OK(wasmtime_func_call(ctx, &f.of.func, &a, 1, &r, 1, trap));
  return r.of.i32;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_module_t *module = compile_wat(engine, WAT);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK_NO_TRAP(trap);

  wasmtime_extern_t mem = get_export(ctx, &inst, "mem", WASMTIME_EXTERN_MEMORY);
  CHECK(wasmtime_memory_size(ctx, &mem.of.memory) == 1);
  CHECK(wasmtime_memory_data_size(ctx, &mem.of.memory) == 65536);
  CHECK(wasmtime_memory_page_size(ctx, &mem.of.memory) == 65536);
  uint8_t *data = wasmtime_memory_data(ctx, &mem.of.memory);
  CHECK(data[0x1000] == 1 && data[0x1003] == 4);
  data[0x2000] = 77;
  CHECK(call1(ctx, &inst, "load", 0x2000, &trap) == 77);
  CHECK_NO_TRAP(trap);

  /* Out of bounds: a trap with its code, not an error. */
  call1(ctx, &inst, "load", 65536, &trap);
  CHECK(take_trap_code(trap) == WASMTIME_TRAP_CODE_MEMORY_OUT_OF_BOUNDS);

  /* Growth from wasm and from C, up to the maximum. */
  CHECK(call1(ctx, &inst, "grow", 1, &trap) == 1);
  CHECK_NO_TRAP(trap);
  CHECK(call1(ctx, &inst, "load", 65536, &trap) == 0);
  CHECK_NO_TRAP(trap);
  uint64_t prev = 0;
  CHECK_OK(wasmtime_memory_grow(ctx, &mem.of.memory, 1, &prev));
  CHECK(prev == 2 && wasmtime_memory_size(ctx, &mem.of.memory) == 3);
  wasmtime_error_t *err = wasmtime_memory_grow(ctx, &mem.of.memory, 1, &prev);
  CHECK(err != NULL);
  wasmtime_error_delete(err);
  CHECK(call1(ctx, &inst, "grow", 1, &trap) == -1);
  CHECK_NO_TRAP(trap);
  CHECK(wasmtime_memory_data_size(ctx, &mem.of.memory) == 3 * 65536);

  /* The memory's type is its declared one (Wasmtime reports the
   * initial minimum, not the current size). */
  wasm_memorytype_t *mty = wasmtime_memory_type(ctx, &mem.of.memory);
  uint64_t max = 0;
  CHECK(wasmtime_memorytype_minimum(mty) == 1);
  CHECK(wasmtime_memorytype_maximum(mty, &max) && max == 3);
  CHECK(!wasmtime_memorytype_is64(mty) && !wasmtime_memorytype_isshared(mty));
  wasm_memorytype_delete(mty);

  /* A host memory, imported by another module. */
  wasm_memorytype_t *ty = NULL;
  CHECK_OK(wasmtime_memorytype_new(2, false, 0, false, false, 16, &ty));
  wasmtime_memory_t host;
  CHECK_OK(wasmtime_memory_new(ctx, ty, &host));
  wasm_memorytype_delete(ty);
  uint8_t *hd = wasmtime_memory_data(ctx, &host);
  hd[70000] = 5;
  wasmtime_module_t *importer = compile_wat(engine, IMPORTER);
  wasmtime_extern_t import = {.kind = WASMTIME_EXTERN_MEMORY, .of.memory = host};
  wasmtime_instance_t inst2;
  CHECK_OK(wasmtime_instance_new(ctx, importer, &import, 1, &inst2, &trap));
  CHECK_NO_TRAP(trap);
  CHECK(call1(ctx, &inst2, "peek", 70000, &trap) == 5);
  CHECK_NO_TRAP(trap);

#ifdef KILN_VERSION
  /* A memory type Kiln's memories cannot have (64-bit) is an error. */
  ty = NULL;
  err = wasmtime_memorytype_new(1, false, 0, true, false, 16, &ty);
  CHECK(err != NULL && ty == NULL);
  wasmtime_error_delete(err);
#endif

  wasmtime_module_delete(importer);
  wasmtime_module_delete(module);
  wasmtime_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
