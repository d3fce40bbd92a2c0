/**
 * \file wasmtime/linker.h
 *
 * \brief Linkers: definitions by `(module, name)`, used to resolve a
 * module's imports by name.
 *
 * A linker belongs to one engine. Host functions defined on it
 * (#wasmtime_linker_define_func) can be used in every store of the engine;
 * items defined from a store (#wasmtime_linker_define,
 * #wasmtime_linker_define_instance) only in that store.
 */
#ifndef WASMTIME_LINKER_H
#define WASMTIME_LINKER_H

#include <wasm.h>
#include <wasmtime/error.h>
#include <wasmtime/extern.h>
#include <wasmtime/func.h>
#include <wasmtime/instance.h>
#include <wasmtime/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef wasmtime_linker_t
 * \brief A linker. Delete with #wasmtime_linker_delete.
 */
typedef struct wasmtime_linker wasmtime_linker_t;

/// \brief A new, empty linker for `engine` (not consumed).
WASM_API_EXTERN wasmtime_linker_t *wasmtime_linker_new(wasm_engine_t *engine);

/// \brief A copy of `linker` with the same definitions; delete both.
WASM_API_EXTERN wasmtime_linker_t *
wasmtime_linker_clone(const wasmtime_linker_t *linker);

/// \brief Deletes a linker (instances it made are unaffected). NULL is
/// ignored.
WASM_API_EXTERN void wasmtime_linker_delete(wasmtime_linker_t *linker);

/**
 * \brief Whether a definition may replace an earlier one of the same name
 * (default false: redefining is an error).
 */
WASM_API_EXTERN void wasmtime_linker_allow_shadowing(wasmtime_linker_t *linker,
                                                     bool allow_shadowing);

/**
 * \brief Defines every function import of `module` the linker lacks as a
 * function that fails with an "unknown import" error when called.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_define_unknown_imports_as_traps(wasmtime_linker_t *linker,
                                                const wasmtime_module_t *module);

/**
 * \brief Defines every import of `module` the linker lacks with a default:
 * functions that return zeros (and null references), and globals, tables
 * and memories of the import's type, made in `store`, holding zeros.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_define_unknown_imports_as_default_values(
    wasmtime_linker_t *linker, wasmtime_context_t *store,
    const wasmtime_module_t *module);

/**
 * \brief Defines `module::name` as `item`, an item of `store`.
 *
 * An error if the name is taken (and shadowing is off), the names are not
 * UTF-8, or the item is of another store or kind Kiln lacks.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_define(wasmtime_linker_t *linker, wasmtime_context_t *store,
                       const char *module, size_t module_len, const char *name,
                       size_t name_len, const wasmtime_extern_t *item);

/**
 * \brief Defines `module::name` as a host function of type `ty` (see
 * #wasmtime_func_new), usable in every store.
 *
 * `finalizer` is called with `data` when the linker and every instance
 * using the function are gone.
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_linker_define_func(
    wasmtime_linker_t *linker, const char *module, size_t module_len,
    const char *name, size_t name_len, const wasm_functype_t *ty,
    wasmtime_func_callback_t cb, void *data, void (*finalizer)(void *));

/// \brief Like #wasmtime_linker_define_func, over raw values (see
/// #wasmtime_func_new_unchecked).
WASM_API_EXTERN wasmtime_error_t *wasmtime_linker_define_func_unchecked(
    wasmtime_linker_t *linker, const char *module, size_t module_len,
    const char *name, size_t name_len, const wasm_functype_t *ty,
    wasmtime_func_unchecked_callback_t cb, void *data,
    void (*finalizer)(void *));

/**
 * \brief Defines every export of `instance` (an instance of `store`) under
 * module name `name`.
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_linker_define_instance(
    wasmtime_linker_t *linker, wasmtime_context_t *store, const char *name,
    size_t name_len, const wasmtime_instance_t *instance);

/**
 * \brief Instantiates `module` in `store`, resolving its imports by name.
 *
 * An undefined import, or one of the wrong type, is an error naming the
 * import and both types. Otherwise as #wasmtime_instance_new: a trap in
 * the start function is returned through `trap`.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_instantiate(const wasmtime_linker_t *linker,
                            wasmtime_context_t *store,
                            const wasmtime_module_t *module,
                            wasmtime_instance_t *instance, wasm_trap_t **trap);

/**
 * \brief Instantiates `module` with this linker's definitions and defines
 * its exports under module name `name`.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_module(wasmtime_linker_t *linker, wasmtime_context_t *store,
                       const char *name, size_t name_len,
                       const wasmtime_module_t *module);

/**
 * \brief The default export of module `name`: its function named `""`,
 * else `_start`, else a function that takes and returns nothing.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_get_default(const wasmtime_linker_t *linker,
                            wasmtime_context_t *store, const char *name,
                            size_t name_len, wasmtime_func_t *func);

/**
 * \brief Looks up `module::name`. Returns true and writes `item` (an item
 * of `store`) if it is defined and usable in `store`, false otherwise.
 */
WASM_API_EXTERN bool wasmtime_linker_get(const wasmtime_linker_t *linker,
                                         wasmtime_context_t *store,
                                         const char *module, size_t module_len,
                                         const char *name, size_t name_len,
                                         wasmtime_extern_t *item);

/**
 * \brief Resolves and type-checks every import of `module` once.
 *
 * On success writes an instance-pre the caller owns (deleted with
 * #wasmtime_instance_pre_delete); an undefined or mistyped import is an
 * error naming it.
 */
WASM_API_EXTERN wasmtime_error_t *
wasmtime_linker_instantiate_pre(const wasmtime_linker_t *linker,
                                const wasmtime_module_t *module,
                                wasmtime_instance_pre_t **instance_pre);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_LINKER_H
