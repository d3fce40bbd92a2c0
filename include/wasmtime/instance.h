/**
 * \file wasmtime/instance.h
 *
 * \brief Instances, and instance-pres: modules whose imports are resolved
 * and type-checked once, ready to instantiate quickly in many stores.
 *
 * Every instantiation ends in exactly one of three ways: an error is
 * returned (the trap and instance are not set); or the start function
 * traps, NULL is returned and `*trap` is set; or NULL is returned, `*trap`
 * is NULL and the instance is written.
 */
#ifndef WASMTIME_INSTANCE_H
#define WASMTIME_INSTANCE_H

#include <wasm.h>
#include <wasmtime/extern.h>
#include <wasmtime/module.h>
#include <wasmtime/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief An instance of a module in a store.
 *
 * A 64-bit store id and an index: a plain value with no destructor, valid
 * until its store is deleted. Using it with another store aborts the
 * process.
 */
typedef struct wasmtime_instance {
  /// The store the instance belongs to.
  uint64_t store_id;
  /// Private to the engine.
  size_t __private;
} wasmtime_instance_t;

/**
 * \brief Instantiates `module` in `store` with `nimports` imports.
 *
 * The imports must line up 1:1 with the module's imports (in the order
 * #wasmtime_module_imports lists them) and belong to `store`; a wrong
 * count, kind, type or store is an error naming the import. (For
 * name-based resolution use #wasmtime_linker_instantiate.) Data and
 * element segments are applied and the start function runs: a trap in
 * either is reported through `trap`, and no instance is made.
 *
 * Nothing is consumed; the error or trap is owned by the caller.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_instance_new(wasmtime_context_t *store, const wasmtime_module_t *module,
                      const wasmtime_extern_t *imports, size_t nimports,
                      wasmtime_instance_t *instance, wasm_trap_t **trap);

/**
 * \brief Looks up export `name` (`name_len` bytes) of `instance`.
 *
 * Returns true and writes `item` if found, false otherwise. The item is
 * the caller's (see #wasmtime_extern_delete); nothing is consumed.
 */
WASM_API_EXTERN bool wasmtime_instance_export_get(
    wasmtime_context_t *store, const wasmtime_instance_t *instance,
    const char *name, size_t name_len, wasmtime_extern_t *item);

/**
 * \brief Looks up the export at `index` (in the module's export order).
 *
 * Returns true and writes the export's name, its length and the item if
 * `index` is in range; false otherwise. The name is owned by the store
 * and stays valid only until the next call on the store: copy it before
 * calling anything else.
 */
WASM_API_EXTERN bool wasmtime_instance_export_nth(
    wasmtime_context_t *store, const wasmtime_instance_t *instance,
    size_t index, char **name, size_t *name_len, wasmtime_extern_t *item);

/**
 * \typedef wasmtime_instance_pre_t
 * \brief A module with its imports resolved by a linker: instantiating it
 * does no name lookups or type checks. Made by
 * #wasmtime_linker_instantiate_pre, deleted with
 * #wasmtime_instance_pre_delete; usable from several threads at once.
 */
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;

/// \brief Deletes an instance-pre (instances made from it are
/// unaffected). NULL is ignored.
WASM_API_EXTERN void
wasmtime_instance_pre_delete(wasmtime_instance_pre_t *instance_pre);

/**
 * \brief Instantiates `instance_pre` in `store`, running its start
 * function.
 *
 * `store` must belong to the engine the instance-pre's linker was made
 * with, and host items the linker defined from a store must come from
 * this store. Results as for #wasmtime_instance_new: an error, or a trap
 * (`*trap_ptr`), or the instance. Nothing is consumed.
 *
 * This is the signature of the reference page (a `wasmtime_store_t *`);
 * since a store and its context share one address, callers written for
 * Wasmtime releases that take a `wasmtime_context_t *` also work: in C a
 * type-checked macro accepts either pointer type, and in C++ an overload
 * does.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_instance_pre_instantiate(const wasmtime_instance_pre_t *instance_pre,
                                  wasmtime_store_t *store,
                                  wasmtime_instance_t *instance,
                                  wasm_trap_t **trap_ptr);

/**
 * \brief The module of the instance-pre, as a new reference the caller
 * deletes with #wasmtime_module_delete.
 */
WASM_API_EXTERN wasmtime_module_t *
wasmtime_instance_pre_module(wasmtime_instance_pre_t *instance_pre);

#ifdef __cplusplus
} // extern "C"

/// \brief #wasmtime_instance_pre_instantiate given the store's context
/// (the same address as the store).
inline wasmtime_error_t *
wasmtime_instance_pre_instantiate(const wasmtime_instance_pre_t *instance_pre,
                                  wasmtime_context_t *context,
                                  wasmtime_instance_t *instance,
                                  wasm_trap_t **trap_ptr) {
  return wasmtime_instance_pre_instantiate(
      instance_pre, reinterpret_cast<wasmtime_store_t *>(context), instance,
      trap_ptr);
}
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
/// \brief Accepts a `wasmtime_store_t *` or a `wasmtime_context_t *` (the
/// same address) as the store; any other pointer type fails to compile.
#define wasmtime_instance_pre_instantiate(pre, store, instance, trap)         \
  wasmtime_instance_pre_instantiate(                                           \
      (pre),                                                                   \
      _Generic((store), wasmtime_store_t *: (store),                           \
               wasmtime_context_t *: (wasmtime_store_t *)(store)),             \
      (instance), (trap))
#endif

#endif // WASMTIME_INSTANCE_H
