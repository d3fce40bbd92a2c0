/* Kiln's instance-pre cache (kiln/cache.h): a module seen again is a hit,
 * neither compiled nor resolved; bounds evict; failures are not cached. */
#include "check.h"

#ifdef KILN_VERSION
#include <kiln/cache.h>

static wasm_byte_vec_t wat(const char *text) {
  wasm_byte_vec_t wasm;
  CHECK_OK(wasmtime_wat2wasm(text, strlen(text), &wasm));
  return wasm;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  kiln_instance_pre_cache_t *cache = kiln_instance_pre_cache_new(linker, 2, 1 << 30);
  wasm_byte_vec_t a = wat("(module (func (export \"f\") (result i32) i32.const 1))");
  wasm_byte_vec_t b = wat("(module (func (export \"f\") (result i32) i32.const 2))");
  wasm_byte_vec_t c = wat("(module (func (export \"f\") (result i32) i32.const 3))");

  for (int round = 0; round < 3; round++) {
    wasmtime_instance_pre_t *pre = NULL;
    CHECK_OK(kiln_instance_pre_cache_get(cache, (uint8_t *)a.data, a.size, &pre));
    wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_instance_t inst;
    wasm_trap_t *trap = NULL;
    CHECK_OK(wasmtime_instance_pre_instantiate(pre, store, &inst, &trap));
    CHECK(trap == NULL);
    wasmtime_context_t *ctx = wasmtime_store_context(store);
    wasmtime_extern_t f;
    CHECK(wasmtime_instance_export_get(ctx, &inst, "f", 1, &f));
    wasmtime_val_t r;
    CHECK_OK(wasmtime_func_call(ctx, &f.of.func, NULL, 0, &r, 1, &trap));
    CHECK(trap == NULL && r.of.i32 == 1);
    wasmtime_store_delete(store);
    wasmtime_instance_pre_delete(pre);
  }
  kiln_cache_stats_t stats;
  kiln_instance_pre_cache_stats(cache, &stats);
  CHECK(stats.hits == 2 && stats.misses == 1 && stats.entries == 1 && stats.bytes > 0);

  /* Two more modules: the least recently used (a) is evicted. */
  wasmtime_instance_pre_t *pre = NULL;
  CHECK_OK(kiln_instance_pre_cache_get(cache, (uint8_t *)b.data, b.size, &pre));
  wasmtime_instance_pre_delete(pre);
  CHECK_OK(kiln_instance_pre_cache_get(cache, (uint8_t *)c.data, c.size, &pre));
  wasmtime_instance_pre_delete(pre);
  kiln_instance_pre_cache_stats(cache, &stats);
  CHECK(stats.entries == 2 && stats.evictions == 1 && stats.misses == 3);

  /* A module that does not compile is an error and is not cached. */
  const uint8_t junk[] = {0, 'a', 's', 'm', 9, 9, 9, 9};
  pre = NULL;
  CHECK(error_contains(kiln_instance_pre_cache_get(cache, junk, sizeof junk, &pre), ""));
  CHECK(pre == NULL);
  kiln_instance_pre_cache_stats(cache, &stats);
  CHECK(stats.entries == 2);

  kiln_instance_pre_cache_clear(cache);
  kiln_instance_pre_cache_stats(cache, &stats);
  CHECK(stats.entries == 0 && stats.bytes == 0);

  wasm_byte_vec_delete(&a);
  wasm_byte_vec_delete(&b);
  wasm_byte_vec_delete(&c);
  kiln_instance_pre_cache_delete(cache);
  wasmtime_linker_delete(linker);
  wasm_engine_delete(engine);
  return 0;
}
#else
/* Built against another engine's headers: nothing to test. */
int main(void) { return 0; }
#endif
