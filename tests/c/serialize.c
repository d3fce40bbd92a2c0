/* Precompiled modules: wasmtime_module_serialize / _deserialize /
 * _deserialize_file and wasm_module_serialize / _deserialize give modules
 * that behave exactly like freshly compiled ones (results, memory data,
 * trap codes and frames); damaged or mismatched bytes are errors. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <unistd.h>

#ifdef KILN_VERSION
#include <kiln/precompile.h>
#endif

static const char *WAT =
    "(module $m\n"
    "  (memory (export \"mem\") 1)\n"
    "  (data (i32.const 8) \"precompiled\")\n"
    "  (func $gcd (export \"gcd\") (param i32 i32) (result i32)\n"
    "    (if (result i32) (i32.eqz (local.get 1)) (then (local.get 0))\n"
    "      (else (call $gcd (local.get 1) (i32.rem_u (local.get 0) (local.get 1))))))\n"
    "  (func $boom (export \"boom\") (unreachable)))";

static wasm_byte_vec_t wat(const char *text) {
  wasm_byte_vec_t wasm;
  CHECK_OK(wasmtime_wat2wasm(text, strlen(text), &wasm));
  return wasm;
}

/* Instantiates `module` in a fresh store and checks gcd, the data segment
 * and the trap of `boom` (its code and the function index of its frame). */
static void exercise(wasm_engine_t *engine, wasmtime_module_t *module) {
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *ctx = wasmtime_store_context(store);
  wasmtime_instance_t inst;
  wasm_trap_t *trap = NULL;
  CHECK_OK(wasmtime_instance_new(ctx, module, NULL, 0, &inst, &trap));
  CHECK(trap == NULL);

  wasmtime_extern_t gcd, mem, boom;
  CHECK(wasmtime_instance_export_get(ctx, &inst, "gcd", 3, &gcd));
  wasmtime_val_t args[2] = {{.kind = WASMTIME_I32, .of.i32 = 1071},
                            {.kind = WASMTIME_I32, .of.i32 = 462}};
  wasmtime_val_t r;
  CHECK_OK(wasmtime_func_call(ctx, &gcd.of.func, args, 2, &r, 1, &trap));
  CHECK(trap == NULL && r.kind == WASMTIME_I32 && r.of.i32 == 21);

  CHECK(wasmtime_instance_export_get(ctx, &inst, "mem", 3, &mem));
  CHECK(memcmp(wasmtime_memory_data(ctx, &mem.of.memory) + 8, "precompiled", 11) == 0);

  CHECK(wasmtime_instance_export_get(ctx, &inst, "boom", 4, &boom));
  CHECK_OK(wasmtime_func_call(ctx, &boom.of.func, NULL, 0, NULL, 0, &trap));
  CHECK(trap != NULL);
  wasmtime_trap_code_t code;
  CHECK(wasmtime_trap_code(trap, &code) && code == WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  CHECK(frames.size == 1);
  CHECK(wasm_frame_func_index(frames.data[0]) == 1);
  const wasm_name_t *name = wasmtime_frame_func_name(frames.data[0]);
  CHECK(name != NULL && name->size == 4 && memcmp(name->data, "boom", 4) == 0);
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(trap);
  wasmtime_store_delete(store);
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_byte_vec_t wasm = wat(WAT);
  wasmtime_module_t *module = NULL;
  CHECK_OK(wasmtime_module_new(engine, (uint8_t *)wasm.data, wasm.size, &module));

  wasm_byte_vec_t bytes;
  CHECK_OK(wasmtime_module_serialize(module, &bytes));
  CHECK(bytes.size > 0);

  /* From bytes. */
  wasmtime_module_t *loaded = NULL;
  CHECK_OK(wasmtime_module_deserialize(engine, (uint8_t *)bytes.data, bytes.size, &loaded));
  exercise(engine, module);
  exercise(engine, loaded);
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(loaded, &exports);
  CHECK(exports.size == 3);
  wasm_exporttype_vec_delete(&exports);
  wasmtime_module_delete(loaded);

  /* From a file. */
  char path[] = "/tmp/kiln-serialize-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(write(fd, bytes.data, bytes.size) == (ssize_t)bytes.size);
  close(fd);
  CHECK_OK(wasmtime_module_deserialize_file(engine, path, &loaded));
  exercise(engine, loaded);
  wasmtime_module_delete(loaded);
  unlink(path);
  CHECK(error_contains(wasmtime_module_deserialize_file(engine, path, &loaded),
#ifdef KILN_VERSION
                       path
#else
                       ""
#endif
                       ));

  /* Damaged bytes: truncated at several points, plain wasm, empty. */
  size_t cuts[] = {0, 4, 16, bytes.size / 3, bytes.size / 2, bytes.size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    loaded = NULL;
    wasmtime_error_t *err =
        wasmtime_module_deserialize(engine, (uint8_t *)bytes.data, cuts[i], &loaded);
    CHECK(err != NULL && loaded == NULL);
    wasmtime_error_delete(err);
  }
  wasmtime_error_t *err =
      wasmtime_module_deserialize(engine, (uint8_t *)wasm.data, wasm.size, &loaded);
  CHECK(err != NULL);
  wasmtime_error_delete(err);

  /* Another configuration that changes code: an error, not a crash. */
  wasm_config_t *config = wasm_config_new();
  wasmtime_config_consume_fuel_set(config, true);
  wasm_engine_t *fuel_engine = wasm_engine_new_with_config(config);
  err = wasmtime_module_deserialize(fuel_engine, (uint8_t *)bytes.data, bytes.size, &loaded);
  CHECK(err != NULL);
  wasmtime_error_delete(err);
  wasm_engine_delete(fuel_engine);

  /* The wasm.h pair. */
  wasm_store_t *wstore = wasm_store_new(engine);
  wasm_module_t *wmodule = wasm_module_new(wstore, &wasm);
  CHECK(wmodule != NULL);
  wasm_byte_vec_t wbytes;
  wasm_module_serialize(wmodule, &wbytes);
  CHECK(wbytes.size > 0);
  wasm_module_t *wloaded = wasm_module_deserialize(wstore, &wbytes);
  CHECK(wloaded != NULL);
  wasm_exporttype_vec_t wexports;
  wasm_module_exports(wloaded, &wexports);
  CHECK(wexports.size == 3);
  wasm_exporttype_vec_delete(&wexports);
  wasm_module_delete(wloaded);
  wbytes.size /= 2;
  CHECK(wasm_module_deserialize(wstore, &wbytes) == NULL);
  wbytes.size *= 2;
  wasm_byte_vec_delete(&wbytes);
  wasm_module_delete(wmodule);
  wasm_store_delete(wstore);

#ifdef KILN_VERSION
  /* Kiln checks a checksum: any flipped byte is an error. */
  for (size_t at = 0; at < bytes.size; at += bytes.size / 50 + 1) {
    bytes.data[at] ^= 0x10;
    err = wasmtime_module_deserialize(engine, (uint8_t *)bytes.data, bytes.size, &loaded);
    CHECK(err != NULL);
    wasmtime_error_delete(err);
    bytes.data[at] ^= 0x10;
  }
  CHECK(error_contains(
      wasmtime_module_deserialize(engine, (uint8_t *)bytes.data, 100, &loaded), "truncated"));

  /* kiln/precompile.h gives the same bytes as serializing. */
  wasm_byte_vec_t pre;
  CHECK_OK(kiln_engine_precompile_module(engine, (uint8_t *)wasm.data, wasm.size, &pre));
  CHECK(pre.size == bytes.size && memcmp(pre.data, bytes.data, pre.size) == 0);
  CHECK(kiln_is_precompiled((uint8_t *)pre.data, pre.size));
  CHECK(!kiln_is_precompiled((uint8_t *)wasm.data, wasm.size));
  wasm_byte_vec_delete(&pre);
  CHECK(error_contains(kiln_engine_precompile_module(engine, (uint8_t *)"\0asm", 4, &pre),
                       "end-of-file"));

  /* The on-disk cache: the second engine loads what the first stored. */
  char dir[] = "/tmp/kiln-cache-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char toml_path[64];
  snprintf(toml_path, sizeof toml_path, "%s.toml", dir);
  FILE *toml = fopen(toml_path, "w");
  CHECK(toml != NULL);
  fprintf(toml, "[cache]\ndirectory = \"%s\"\n", dir);
  fclose(toml);
  for (int round = 0; round < 2; round++) {
    wasm_config_t *cached = wasm_config_new();
    CHECK_OK(wasmtime_config_cache_config_load(cached, toml_path));
    wasm_engine_t *e = wasm_engine_new_with_config(cached);
    wasmtime_module_t *m = NULL;
    CHECK_OK(wasmtime_module_new(e, (uint8_t *)wasm.data, wasm.size, &m));
    exercise(e, m);
    wasmtime_module_delete(m);
    wasm_engine_delete(e);
  }
  unlink(toml_path);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1 && rm -r %s", dir, dir);
  CHECK(system(cmd) == 0);
  wasm_config_t *bad = wasm_config_new();
  CHECK(error_contains(wasmtime_config_cache_config_load(bad, "/nonexistent/kiln.toml"),
                       "kiln.toml"));
  wasm_config_delete(bad);
#endif

  wasm_byte_vec_delete(&bytes);
  wasm_byte_vec_delete(&wasm);
  wasmtime_module_delete(module);
  wasm_engine_delete(engine);
  puts("serialize: ok");
  return 0;
}
