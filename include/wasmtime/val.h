/**
 * \file wasmtime/val.h
 *
 * \brief Values: `wasmtime_val_t` (tagged) and `wasmtime_val_raw_t`
 * (untagged, as compiled code sees them).
 */
#ifndef WASMTIME_VAL_H
#define WASMTIME_VAL_H

#include <wasm.h>
#include <wasmtime/conf.h>
#include <wasmtime/extern.h>

#ifdef __cplusplus
extern "C" {
#endif

/// \brief Which field of #wasmtime_val_t::of is valid.
typedef uint8_t wasmtime_valkind_t;

/// \brief An `i32`.
#define WASMTIME_I32 0
/// \brief An `i64`.
#define WASMTIME_I64 1
/// \brief An `f32`.
#define WASMTIME_F32 2
/// \brief An `f64`.
#define WASMTIME_F64 3
/// \brief A `v128`: Kiln has no SIMD, so no function takes or returns one
/// and passing one is an error.
#define WASMTIME_V128 4
/// \brief A `funcref`.
#define WASMTIME_FUNCREF 5
/// \brief An `externref`.
#define WASMTIME_EXTERNREF 6
/// \brief An `anyref` (GC proposal): never produced by Kiln; passing one
/// is an error.
#define WASMTIME_ANYREF 7
/// \brief An `exnref` (exceptions proposal): never produced by Kiln;
/// passing one is an error.
#define WASMTIME_EXNREF 8

/// \brief A 128-bit value, bytes in little-endian order.
typedef uint8_t wasmtime_v128[16];

/**
 * \brief A reference to host data that wasm can hold.
 *
 * `store_id` zero is the null reference. Kiln keeps the data until the
 * store is deleted; see wasmtime/externref.h.
 */
typedef struct wasmtime_externref {
  /// The owning store, or 0 for null.
  uint64_t store_id;
  /// Private to the engine.
  uint32_t __private1;
  /// Private to the engine.
  uint32_t __private2;
  /// Private to the engine.
  void *__private3;
} wasmtime_externref_t;

/// \brief Wasmtime's `anyref` (GC proposal), kept for layout; Kiln never
/// makes one.
typedef struct wasmtime_anyref {
  /// Unused by Kiln.
  uint64_t store_id;
  /// Unused by Kiln.
  uint32_t __private1;
  /// Unused by Kiln.
  uint32_t __private2;
  /// Unused by Kiln.
  void *__private3;
} wasmtime_anyref_t;

/// \brief Wasmtime's `exnref` (exceptions proposal), kept for layout; Kiln
/// never makes one.
typedef struct wasmtime_exnref {
  /// Unused by Kiln.
  uint64_t store_id;
  /// Unused by Kiln.
  uint32_t __private1;
  /// Unused by Kiln.
  uint32_t __private2;
  /// Unused by Kiln.
  void *__private3;
} wasmtime_exnref_t;

/// \brief The payload of #wasmtime_val_t.
typedef union wasmtime_valunion {
  /// For #WASMTIME_I32.
  int32_t i32;
  /// For #WASMTIME_I64.
  int64_t i64;
  /// For #WASMTIME_F32.
  float32_t f32;
  /// For #WASMTIME_F64.
  float64_t f64;
  /// For #WASMTIME_ANYREF (unused by Kiln).
  wasmtime_anyref_t anyref;
  /// For #WASMTIME_EXTERNREF.
  wasmtime_externref_t externref;
  /// For #WASMTIME_EXNREF (unused by Kiln).
  wasmtime_exnref_t exnref;
  /// For #WASMTIME_FUNCREF; `store_id` 0 is the null reference.
  wasmtime_func_t funcref;
  /// For #WASMTIME_V128.
  wasmtime_v128 v128;
} wasmtime_valunion_t;

/// \brief Makes `func` a null function reference.
static inline void wasmtime_funcref_set_null(wasmtime_func_t *func) {
  func->store_id = 0;
}

/// \brief Whether `func` is a null function reference.
static inline bool wasmtime_funcref_is_null(const wasmtime_func_t *func) {
  return func->store_id == 0;
}

/**
 * \brief A value without its type, as #wasmtime_func_call_unchecked and
 * unchecked host functions see it: 16 bytes, little-endian.
 */
typedef union wasmtime_val_raw {
  /// An `i32`.
  int32_t i32;
  /// An `i64`.
  int64_t i64;
  /// An `f32`.
  float32_t f32;
  /// An `f64`.
  float64_t f64;
  /// A `v128`.
  wasmtime_v128 v128;
  /// Unused by Kiln.
  uint32_t anyref;
  /// An `externref`: 0 for null, otherwise see
  /// #wasmtime_externref_from_raw.
  uint32_t externref;
  /// Unused by Kiln.
  uint32_t exnref;
  /// A `funcref`: NULL for null, otherwise see #wasmtime_func_from_raw.
  void *funcref;
} wasmtime_val_raw_t;

/// \brief A value and its kind.
typedef struct wasmtime_val {
  /// Which field of `of` is valid.
  wasmtime_valkind_t kind;
  /// The value.
  wasmtime_valunion_t of;
} wasmtime_val_t;

/**
 * \brief Releases a value. Kiln's references are not rooted (they live as
 * long as their store), so this does nothing; calling it is always
 * correct.
 */
WASM_API_EXTERN void wasmtime_val_unroot(wasmtime_val_t *val);

/// \brief Copies `src` into `dst` (references are handles: the copy names
/// the same object).
WASM_API_EXTERN void wasmtime_val_clone(const wasmtime_val_t *src,
                                        wasmtime_val_t *dst);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_VAL_H
