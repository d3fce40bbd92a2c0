/**
 * \file wasmtime/extern.h
 *
 * \brief Handles to a store's functions, globals, tables and memories,
 * and `wasmtime_extern_t`, which holds any of them.
 *
 * A handle is a plain value naming an object in its store; it has no
 * destructor and is valid until the store is deleted. Using a handle with
 * another store aborts the process (as in Wasmtime), except where a
 * function documents an error instead (instantiation, linker definitions).
 */
#ifndef WASMTIME_EXTERN_H
#define WASMTIME_EXTERN_H

#include <wasmtime/module.h>
#include <wasmtime/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \brief A function of a store.
 *
 * `store_id` is never zero for a function; zero marks a null `funcref`
 * (see #wasmtime_funcref_set_null).
 */
typedef struct wasmtime_func {
  /// The store the function belongs to (0: a null funcref).
  uint64_t store_id;
  /// Private to the engine.
  void *__private;
} wasmtime_func_t;

/// \brief A table of a store.
typedef struct wasmtime_table {
  struct {
    /// The store the table belongs to, never zero.
    uint64_t store_id;
    /// Private to the engine.
    uint32_t __private1;
  };
  /// Private to the engine.
  uint32_t __private2;
} wasmtime_table_t;

/// \brief A linear memory of a store.
typedef struct wasmtime_memory {
  struct {
    /// The store the memory belongs to, never zero.
    uint64_t store_id;
    /// Private to the engine.
    uint32_t __private1;
  };
  /// Private to the engine.
  uint32_t __private2;
} wasmtime_memory_t;

/// \brief A global of a store.
typedef struct wasmtime_global {
  /// The store the global belongs to, never zero.
  uint64_t store_id;
  /// Private to the engine.
  uint32_t __private1;
  /// Private to the engine.
  uint32_t __private2;
  /// Private to the engine.
  uint32_t __private3;
} wasmtime_global_t;

/// \brief Which field of #wasmtime_extern_t::of is valid.
typedef uint8_t wasmtime_extern_kind_t;

/// \brief #wasmtime_extern_t holds a function.
#define WASMTIME_EXTERN_FUNC 0
/// \brief #wasmtime_extern_t holds a global.
#define WASMTIME_EXTERN_GLOBAL 1
/// \brief #wasmtime_extern_t holds a table.
#define WASMTIME_EXTERN_TABLE 2
/// \brief #wasmtime_extern_t holds a memory.
#define WASMTIME_EXTERN_MEMORY 3
/// \brief Wasmtime's shared memories: Kiln has none, and passing this kind
/// is an error.
#define WASMTIME_EXTERN_SHAREDMEMORY 4
/// \brief Wasmtime's exception tags: Kiln has none, and passing this kind
/// is an error.
#define WASMTIME_EXTERN_TAG 5

/// \brief The payload of #wasmtime_extern_t.
typedef union wasmtime_extern_union {
  /// For #WASMTIME_EXTERN_FUNC.
  wasmtime_func_t func;
  /// For #WASMTIME_EXTERN_GLOBAL.
  wasmtime_global_t global;
  /// For #WASMTIME_EXTERN_TABLE.
  wasmtime_table_t table;
  /// For #WASMTIME_EXTERN_MEMORY.
  wasmtime_memory_t memory;
  /// Layout placeholder for Wasmtime's shared memories.
  void *sharedmemory;
  /// Layout placeholder for Wasmtime's tags.
  struct {
    /// Unused by Kiln.
    uint64_t store_id;
    /// Unused by Kiln.
    size_t __private;
  } tag;
} wasmtime_extern_union_t;

/// \brief A function, global, table or memory of a store.
typedef struct wasmtime_extern {
  /// Which field of `of` is valid.
  wasmtime_extern_kind_t kind;
  /// The item.
  wasmtime_extern_union_t of;
} wasmtime_extern_t;

/**
 * \brief Releases an extern obtained from the API. Kiln's externs are
 * plain handles, so this does nothing; calling it is always correct.
 */
WASM_API_EXTERN void wasmtime_extern_delete(wasmtime_extern_t *val);

/**
 * \brief The type of `val`, which must belong to `context`'s store. The
 * caller owns the result (#wasm_externtype_delete).
 */
WASM_API_EXTERN wasm_externtype_t *
wasmtime_extern_type(wasmtime_context_t *context, const wasmtime_extern_t *val);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_EXTERN_H
