/*
 * ABI check: Kiln's headers against Wasmtime 50.0.1's. Every function
 * Kiln declares is declared again here with Wasmtime's own prototype
 * (wasmtime50_prototypes.h, generated from Wasmtime's headers), so a
 * signature that differs fails to compile; the layouts of the value and
 * handle types are checked against Wasmtime's sizes and offsets.
 */
#include <stddef.h>
#include <wasmtime.h>

#include "wasmtime50_prototypes.h"

_Static_assert(sizeof(wasm_val_t) == 16, "wasm_val_t");
_Static_assert(offsetof(wasm_val_t, of) == 8, "wasm_val_t.of");
_Static_assert(sizeof(wasm_byte_vec_t) == 16, "wasm_byte_vec_t");
_Static_assert(sizeof(wasm_limits_t) == 8, "wasm_limits_t");
_Static_assert(sizeof(wasmtime_func_t) == 16, "wasmtime_func_t");
_Static_assert(sizeof(wasmtime_table_t) == 24, "wasmtime_table_t");
_Static_assert(sizeof(wasmtime_memory_t) == 24, "wasmtime_memory_t");
_Static_assert(sizeof(wasmtime_global_t) == 24, "wasmtime_global_t");
_Static_assert(sizeof(wasmtime_instance_t) == 16, "wasmtime_instance_t");
_Static_assert(sizeof(wasmtime_extern_t) == 32, "wasmtime_extern_t");
_Static_assert(offsetof(wasmtime_extern_t, of) == 8, "wasmtime_extern_t.of");
_Static_assert(sizeof(wasmtime_val_t) == 32, "wasmtime_val_t");
_Static_assert(offsetof(wasmtime_val_t, of) == 8, "wasmtime_val_t.of");
_Static_assert(sizeof(wasmtime_val_raw_t) == 16, "wasmtime_val_raw_t");
_Static_assert(sizeof(wasmtime_externref_t) == 24, "wasmtime_externref_t");
_Static_assert(WASMTIME_EXTERNREF == 6 && WASMTIME_FUNCREF == 5, "val kinds");
_Static_assert(WASM_EXTERNREF == 128 && WASM_FUNCREF == 129, "wasm kinds");
_Static_assert(WASMTIME_TRAP_CODE_OUT_OF_FUEL == 11, "trap codes");

int main(void) { return 0; }
