/**
 * \file wasmtime/engine.h
 *
 * \brief Kiln's additions to `wasm_engine_t`.
 */
#ifndef WASMTIME_ENGINE_H
#define WASMTIME_ENGINE_H

#include <wasm.h>
#include <wasmtime/conf.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief Returns a new reference to the same engine.
 *
 * Engines are reference-counted: the clone shares the configuration,
 * compiled code and epoch counter. Delete it with #wasm_engine_delete.
 */
WASM_API_EXTERN wasm_engine_t *wasmtime_engine_clone(const wasm_engine_t *engine);

/**
 * \brief Advances the engine's epoch by one.
 *
 * Stores whose epoch deadline this reaches (with
 * #wasmtime_config_epoch_interruption_set) interrupt the wasm they run:
 * it traps with #WASMTIME_TRAP_CODE_INTERRUPT, or the store's deadline
 * callback runs (#wasmtime_store_epoch_deadline_callback). Safe to call
 * from any thread, while wasm runs.
 */
WASM_API_EXTERN void wasmtime_engine_increment_epoch(const wasm_engine_t *engine);

/**
 * \brief Whether the engine runs the Pulley interpreter: always false, as
 * Kiln compiles to native code.
 */
WASM_API_EXTERN bool wasmtime_engine_is_pulley(const wasm_engine_t *engine);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_ENGINE_H
