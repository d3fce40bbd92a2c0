/**
 * \file wasm.h
 *
 * \brief The standard WebAssembly C API (WebAssembly/wasm-c-api), as
 * Wasmtime 50 ships it, implemented by Kiln.
 *
 * Ownership: a parameter or result marked `own` passes ownership; the
 * owner releases an object with its `_delete` function. An `own` out
 * parameter named `out` is overwritten (its previous contents are not
 * freed) with something the caller then owns. Vectors own their elements.
 *
 * Kiln differences, all documented at the function: no exception tags
 * (`wasm_tagtype_t` is absent), a non-null `externref` cannot be expressed as a `wasm_val_t` (use the
 * `wasmtime_*` API), and `wasm_frame_instance` returns NULL.
 */
#ifndef WASM_H
#define WASM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef WASM_API_EXTERN
#if defined(_WIN32) && !defined(__MINGW32__) && !defined(LIBWASM_STATIC)
#define WASM_API_EXTERN __declspec(dllimport)
#else
#define WASM_API_EXTERN
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// \brief A byte of a byte vector.
typedef char byte_t;
/// \brief A 32-bit float.
typedef float float32_t;
/// \brief A 64-bit float.
typedef double float64_t;

/// \brief Marks ownership transfer (expands to nothing).
#define own

/*
 * Declaration families. Kiln's own macros; each expands to exactly the
 * declarations the standard header has.
 */

/// \brief An opaque owned type `wasm_<name>_t` and its `_delete`.
#define WASM_DECLARE_OWN(name)                                                 \
  typedef struct wasm_##name##_t wasm_##name##_t;                              \
  WASM_API_EXTERN void wasm_##name##_delete(own wasm_##name##_t *);

/**
 * \brief A vector type `wasm_<name>_vec_t` of `wasm_<name>_t` values
 * (`ptr` empty) or owned pointers (`ptr` is `*`), and its functions:
 * `_new_empty` (no elements), `_new_uninitialized` (`size` zeroed
 * elements), `_new` (takes ownership of `size` elements), `_copy` (a deep
 * copy) and `_delete` (frees the elements and the array).
 */
#define WASM_DECLARE_VEC(name, ptr)                                            \
  typedef struct wasm_##name##_vec_t {                                         \
    size_t size;                                                               \
    wasm_##name##_t ptr *data;                                                 \
  } wasm_##name##_vec_t;                                                       \
  WASM_API_EXTERN void wasm_##name##_vec_new_empty(own wasm_##name##_vec_t *out); \
  WASM_API_EXTERN void wasm_##name##_vec_new_uninitialized(                    \
      own wasm_##name##_vec_t *out, size_t);                                   \
  WASM_API_EXTERN void wasm_##name##_vec_new(own wasm_##name##_vec_t *out,     \
                                             size_t,                           \
                                             own wasm_##name##_t ptr const[]); \
  WASM_API_EXTERN void wasm_##name##_vec_copy(own wasm_##name##_vec_t *out,    \
                                              const wasm_##name##_vec_t *);    \
  WASM_API_EXTERN void wasm_##name##_vec_delete(own wasm_##name##_vec_t *);

/// \brief A type object: owned, in vectors of pointers, and copyable.
#define WASM_DECLARE_TYPE(name)                                                \
  WASM_DECLARE_OWN(name)                                                       \
  WASM_DECLARE_VEC(name, *)                                                    \
  WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *);

/**
 * \brief A reference object: owned, copyable (a copy names the same
 * entity), comparable with `_same`, and carrying host info (per C object;
 * the finalizer runs when the info is replaced or the object deleted).
 */
#define WASM_DECLARE_REF_BASE(name)                                            \
  WASM_DECLARE_OWN(name)                                                       \
  WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *); \
  WASM_API_EXTERN bool wasm_##name##_same(const wasm_##name##_t *,             \
                                          const wasm_##name##_t *);            \
  WASM_API_EXTERN void *wasm_##name##_get_host_info(const wasm_##name##_t *);  \
  WASM_API_EXTERN void wasm_##name##_set_host_info(wasm_##name##_t *, void *); \
  WASM_API_EXTERN void wasm_##name##_set_host_info_with_finalizer(             \
      wasm_##name##_t *, void *, void (*)(void *));

/**
 * \brief A reference object that is also a `wasm_ref_t`: `_as_ref` views
 * it as one (no copy), `wasm_ref_as_<name>` views a reference as this
 * type or returns NULL if it is something else.
 */
#define WASM_DECLARE_REF(name)                                                 \
  WASM_DECLARE_REF_BASE(name)                                                  \
  WASM_API_EXTERN wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *);         \
  WASM_API_EXTERN wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *);           \
  WASM_API_EXTERN const wasm_ref_t *wasm_##name##_as_ref_const(                \
      const wasm_##name##_t *);                                                \
  WASM_API_EXTERN const wasm_##name##_t *wasm_ref_as_##name##_const(           \
      const wasm_ref_t *);

/**
 * \brief A reference that can cross threads: `_share` makes a shared
 * handle, `_obtain` a reference of it for a store (NULL if the store's
 * engine differs).
 */
#define WASM_DECLARE_SHARABLE_REF(name)                                        \
  WASM_DECLARE_REF(name)                                                       \
  WASM_DECLARE_OWN(shared_##name)                                              \
  WASM_API_EXTERN own wasm_shared_##name##_t *wasm_##name##_share(             \
      const wasm_##name##_t *);                                                \
  WASM_API_EXTERN own wasm_##name##_t *wasm_##name##_obtain(                   \
      wasm_store_t *, const wasm_shared_##name##_t *);

/* Byte vectors and names. */

/// \brief A byte.
typedef byte_t wasm_byte_t;
/// \brief #wasm_byte_vec_t and its `wasm_byte_vec_*` functions (see
/// #WASM_DECLARE_VEC); `_copy` copies the bytes.
WASM_DECLARE_VEC(byte, )

/// \brief A name: a byte vector of UTF-8, not NUL-terminated.
typedef wasm_byte_vec_t wasm_name_t;

#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete

/// \brief A name holding the bytes of `s` (without its NUL).
static inline void wasm_name_new_from_string(own wasm_name_t *out,
                                             const char *s) {
  wasm_name_new(out, strlen(s), s);
}

/// \brief A name holding the bytes of `s` and its NUL.
static inline void wasm_name_new_from_string_nt(own wasm_name_t *out,
                                                const char *s) {
  wasm_name_new(out, strlen(s) + 1, s);
}

/* Configuration, engines, stores. */

/// \brief #wasm_config_t, deleted with #wasm_config_delete (or consumed
/// by #wasm_engine_new_with_config).
WASM_DECLARE_OWN(config)
/// \brief A default configuration (see wasmtime/config.h for settings).
WASM_API_EXTERN own wasm_config_t *wasm_config_new(void);

/// \brief #wasm_engine_t, deleted with #wasm_engine_delete.
WASM_DECLARE_OWN(engine)
/// \brief An engine with the default configuration.
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new(void);
/**
 * \brief An engine with `config`, which is consumed. Returns NULL (with a
 * message on stderr) if the configuration cannot be honoured: Winch asked
 * for, or an invalid Cranelift setting.
 */
WASM_API_EXTERN own wasm_engine_t *
wasm_engine_new_with_config(own wasm_config_t *);

/// \brief #wasm_store_t, deleted with #wasm_store_delete.
WASM_DECLARE_OWN(store)
/**
 * \brief A store in `engine`. Objects made in it keep its contents alive
 * until the last of them is deleted.
 */
WASM_API_EXTERN own wasm_store_t *wasm_store_new(wasm_engine_t *);

/* Types. */

/// \brief `WASM_CONST` or `WASM_VAR`.
typedef uint8_t wasm_mutability_t;
/// \brief Values of #wasm_mutability_t.
enum wasm_mutability_enum {
  WASM_CONST,
  WASM_VAR,
};

/// \brief Size limits of a table or memory; `max` is
/// #wasm_limits_max_default when there is none.
typedef struct wasm_limits_t {
  /// The minimum.
  uint32_t min;
  /// The maximum, or 0xffffffff for none.
  uint32_t max;
} wasm_limits_t;

/// \brief The `max` of limits without a maximum.
static const uint32_t wasm_limits_max_default = 0xffffffff;

/// \brief #wasm_valtype_t: `_delete`, `_copy` and #wasm_valtype_vec_t (see
/// #WASM_DECLARE_TYPE).
WASM_DECLARE_TYPE(valtype)

/// \brief A value kind (#WASM_I32, ...).
typedef uint8_t wasm_valkind_t;
/// \brief Values of #wasm_valkind_t.
enum wasm_valkind_enum {
  WASM_I32,
  WASM_I64,
  WASM_F32,
  WASM_F64,
  WASM_EXTERNREF = 128,
  WASM_FUNCREF,
};

/// \brief A value type of kind `kind` (an invalid kind aborts).
WASM_API_EXTERN own wasm_valtype_t *wasm_valtype_new(wasm_valkind_t);
/// \brief The kind of a value type.
WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *);

/// \brief Whether `k` is a number kind.
static inline bool wasm_valkind_is_num(wasm_valkind_t k) {
  return k < WASM_EXTERNREF;
}
/// \brief Whether `k` is a reference kind.
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) {
  return k >= WASM_EXTERNREF;
}
/// \brief Whether `t` is a number type.
static inline bool wasm_valtype_is_num(const wasm_valtype_t *t) {
  return wasm_valkind_is_num(wasm_valtype_kind(t));
}
/// \brief Whether `t` is a reference type.
static inline bool wasm_valtype_is_ref(const wasm_valtype_t *t) {
  return wasm_valkind_is_ref(wasm_valtype_kind(t));
}

/// \brief #wasm_functype_t: `_delete`, `_copy` (with both vectors) and
/// #wasm_functype_vec_t.
WASM_DECLARE_TYPE(functype)
/// \brief A function type; takes ownership of both vectors' contents.
WASM_API_EXTERN own wasm_functype_t *
wasm_functype_new(own wasm_valtype_vec_t *params, own wasm_valtype_vec_t *results);
/// \brief The parameter types (owned by the function type).
WASM_API_EXTERN const wasm_valtype_vec_t *
wasm_functype_params(const wasm_functype_t *);
/// \brief The result types (owned by the function type).
WASM_API_EXTERN const wasm_valtype_vec_t *
wasm_functype_results(const wasm_functype_t *);

/// \brief #wasm_globaltype_t: `_delete`, `_copy` and #wasm_globaltype_vec_t.
WASM_DECLARE_TYPE(globaltype)
/// \brief A global type of `content` (consumed); NULL for an invalid
/// mutability.
WASM_API_EXTERN own wasm_globaltype_t *
wasm_globaltype_new(own wasm_valtype_t *, wasm_mutability_t);
/// \brief The content type (owned by the global type).
WASM_API_EXTERN const wasm_valtype_t *
wasm_globaltype_content(const wasm_globaltype_t *);
/// \brief The mutability.
WASM_API_EXTERN wasm_mutability_t
wasm_globaltype_mutability(const wasm_globaltype_t *);

/// \brief #wasm_tabletype_t: `_delete`, `_copy` and #wasm_tabletype_vec_t.
WASM_DECLARE_TYPE(tabletype)
/// \brief A table type of element `element` (consumed; must be a
/// reference type, else NULL) and `limits`.
WASM_API_EXTERN own wasm_tabletype_t *
wasm_tabletype_new(own wasm_valtype_t *, const wasm_limits_t *);
/// \brief The element type (owned by the table type).
WASM_API_EXTERN const wasm_valtype_t *
wasm_tabletype_element(const wasm_tabletype_t *);
/// \brief The limits (owned by the table type).
WASM_API_EXTERN const wasm_limits_t *
wasm_tabletype_limits(const wasm_tabletype_t *);

/// \brief #wasm_memorytype_t: `_delete`, `_copy` and #wasm_memorytype_vec_t.
WASM_DECLARE_TYPE(memorytype)
/// \brief A memory type with `limits`, in 64 KiB pages.
WASM_API_EXTERN own wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *);
/// \brief The limits (owned by the memory type).
WASM_API_EXTERN const wasm_limits_t *
wasm_memorytype_limits(const wasm_memorytype_t *);

/**
 * \brief #wasm_externtype_t: `_delete`, `_copy` and #wasm_externtype_vec_t.
 * Each specific type above is also an extern type: the `_as_externtype`
 * views below are the same object, so delete only one of the two.
 */
WASM_DECLARE_TYPE(externtype)

/// \brief An extern kind (#WASM_EXTERN_FUNC, ...).
typedef uint8_t wasm_externkind_t;
/// \brief Values of #wasm_externkind_t.
enum wasm_externkind_enum {
  WASM_EXTERN_FUNC,
  WASM_EXTERN_GLOBAL,
  WASM_EXTERN_TABLE,
  WASM_EXTERN_MEMORY,
  /// Exception tags: Kiln never produces this kind.
  WASM_EXTERN_TAG,
};

/// \brief The kind of an extern type.
WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *);

/// \brief Views a function type as an extern type (no copy).
WASM_API_EXTERN wasm_externtype_t *wasm_functype_as_externtype(wasm_functype_t *);
/// \brief Views a global type as an extern type (no copy).
WASM_API_EXTERN wasm_externtype_t *wasm_globaltype_as_externtype(wasm_globaltype_t *);
/// \brief Views a table type as an extern type (no copy).
WASM_API_EXTERN wasm_externtype_t *wasm_tabletype_as_externtype(wasm_tabletype_t *);
/// \brief Views a memory type as an extern type (no copy).
WASM_API_EXTERN wasm_externtype_t *wasm_memorytype_as_externtype(wasm_memorytype_t *);
/// \brief Views an extern type as a function type, or NULL.
WASM_API_EXTERN wasm_functype_t *wasm_externtype_as_functype(wasm_externtype_t *);
/// \brief Views an extern type as a global type, or NULL.
WASM_API_EXTERN wasm_globaltype_t *wasm_externtype_as_globaltype(wasm_externtype_t *);
/// \brief Views an extern type as a table type, or NULL.
WASM_API_EXTERN wasm_tabletype_t *wasm_externtype_as_tabletype(wasm_externtype_t *);
/// \brief Views an extern type as a memory type, or NULL.
WASM_API_EXTERN wasm_memorytype_t *wasm_externtype_as_memorytype(wasm_externtype_t *);
/// \brief Const view of a function type as an extern type.
WASM_API_EXTERN const wasm_externtype_t *
wasm_functype_as_externtype_const(const wasm_functype_t *);
/// \brief Const view of a global type as an extern type.
WASM_API_EXTERN const wasm_externtype_t *
wasm_globaltype_as_externtype_const(const wasm_globaltype_t *);
/// \brief Const view of a table type as an extern type.
WASM_API_EXTERN const wasm_externtype_t *
wasm_tabletype_as_externtype_const(const wasm_tabletype_t *);
/// \brief Const view of a memory type as an extern type.
WASM_API_EXTERN const wasm_externtype_t *
wasm_memorytype_as_externtype_const(const wasm_memorytype_t *);
/// \brief Const view of an extern type as a function type, or NULL.
WASM_API_EXTERN const wasm_functype_t *
wasm_externtype_as_functype_const(const wasm_externtype_t *);
/// \brief Const view of an extern type as a global type, or NULL.
WASM_API_EXTERN const wasm_globaltype_t *
wasm_externtype_as_globaltype_const(const wasm_externtype_t *);
/// \brief Const view of an extern type as a table type, or NULL.
WASM_API_EXTERN const wasm_tabletype_t *
wasm_externtype_as_tabletype_const(const wasm_externtype_t *);
/// \brief Const view of an extern type as a memory type, or NULL.
WASM_API_EXTERN const wasm_memorytype_t *
wasm_externtype_as_memorytype_const(const wasm_externtype_t *);

/// \brief #wasm_importtype_t: `_delete`, `_copy` (names and type too) and
/// #wasm_importtype_vec_t.
WASM_DECLARE_TYPE(importtype)
/// \brief An import type; takes ownership of the names' contents and the
/// type (consumed even on failure). NULL if a name is not UTF-8.
WASM_API_EXTERN own wasm_importtype_t *
wasm_importtype_new(own wasm_name_t *module, own wasm_name_t *name,
                    own wasm_externtype_t *);
/// \brief The module name (owned by the import type).
WASM_API_EXTERN const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *);
/// \brief The name (owned by the import type).
WASM_API_EXTERN const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *);
/// \brief The type (owned by the import type).
WASM_API_EXTERN const wasm_externtype_t *
wasm_importtype_type(const wasm_importtype_t *);

/// \brief #wasm_exporttype_t: `_delete`, `_copy` (name and type too) and
/// #wasm_exporttype_vec_t.
WASM_DECLARE_TYPE(exporttype)
/// \brief An export type; takes ownership of the name's contents and the
/// type (consumed even on failure). NULL if the name is not UTF-8.
WASM_API_EXTERN own wasm_exporttype_t *
wasm_exporttype_new(own wasm_name_t *, own wasm_externtype_t *);
/// \brief The name (owned by the export type).
WASM_API_EXTERN const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *);
/// \brief The type (owned by the export type).
WASM_API_EXTERN const wasm_externtype_t *
wasm_exporttype_type(const wasm_exporttype_t *);

/* Values. */

struct wasm_ref_t;

/**
 * \brief A value: a kind and the matching field. A reference value owns
 * its `wasm_ref_t` (NULL for a null reference). In Kiln a non-null
 * `externref` cannot be a `wasm_val_t`: passing one is an error, and one
 * read from wasm reads as NULL.
 */
typedef struct wasm_val_t {
  /// The kind.
  wasm_valkind_t kind;
  /// The value.
  union {
    /// For #WASM_I32.
    int32_t i32;
    /// For #WASM_I64.
    int64_t i64;
    /// For #WASM_F32.
    float32_t f32;
    /// For #WASM_F64.
    float64_t f64;
    /// For #WASM_FUNCREF and #WASM_EXTERNREF.
    struct wasm_ref_t *ref;
  } of;
} wasm_val_t;

/// \brief Releases the value's reference, if any.
WASM_API_EXTERN void wasm_val_delete(own wasm_val_t *v);
/// \brief A deep copy of a value (its reference copied too).
WASM_API_EXTERN void wasm_val_copy(own wasm_val_t *out, const wasm_val_t *);

/**
 * \brief #wasm_val_vec_t and its functions: `_new` takes over the values
 * (and their references), `_copy` copies each value as #wasm_val_copy
 * does, `_delete` releases each as #wasm_val_delete does, and
 * `_new_uninitialized` fills the vector with `i32` zeros.
 */
WASM_DECLARE_VEC(val, )

/* References. */

/**
 * \brief #wasm_ref_t: any reference object (function, global, table,
 * memory, extern, instance, module, trap, foreign) viewed generically,
 * with `_delete`, `_copy`, `_same` and host info.
 */
WASM_DECLARE_REF_BASE(ref)

/* Frames and traps. */

/// \brief #wasm_frame_t (a wasm stack frame of a trap), #wasm_frame_delete,
/// and #wasm_frame_vec_t, whose `_delete` deletes the frames.
WASM_DECLARE_OWN(frame)
WASM_DECLARE_VEC(frame, *)
/// \brief A copy of a frame.
WASM_API_EXTERN own wasm_frame_t *wasm_frame_copy(const wasm_frame_t *);
/// \brief The frame's instance: Kiln's frames do not keep one, so NULL.
WASM_API_EXTERN struct wasm_instance_t *wasm_frame_instance(const wasm_frame_t *);
/// \brief The index of the frame's function in its module.
WASM_API_EXTERN uint32_t wasm_frame_func_index(const wasm_frame_t *);
/// \brief The instruction's offset from its function body's start, or
/// SIZE_MAX if unknown.
WASM_API_EXTERN size_t wasm_frame_func_offset(const wasm_frame_t *);
/// \brief The instruction's offset in the module binary, or SIZE_MAX if
/// unknown.
WASM_API_EXTERN size_t wasm_frame_module_offset(const wasm_frame_t *);

/// \brief A message: a byte vector ending in NUL.
typedef wasm_name_t wasm_message_t;

/// \brief #wasm_trap_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(trap)
/// \brief A trap with `message` (copied; a trailing NUL is dropped).
WASM_API_EXTERN own wasm_trap_t *wasm_trap_new(wasm_store_t *store,
                                              const wasm_message_t *);
/// \brief The trap's message, NUL-terminated, into `out`.
WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t *, own wasm_message_t *out);
/// \brief The innermost wasm frame, or NULL.
WASM_API_EXTERN own wasm_frame_t *wasm_trap_origin(const wasm_trap_t *);
/// \brief The wasm frames, innermost first, into `out`.
WASM_API_EXTERN void wasm_trap_trace(const wasm_trap_t *, own wasm_frame_vec_t *out);

/* Foreign objects. */

/// \brief #wasm_foreign_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(foreign)
/// \brief A host object carrying only host info.
WASM_API_EXTERN own wasm_foreign_t *wasm_foreign_new(wasm_store_t *);

/* Modules. */

/// \brief #wasm_module_t, a reference object, and #wasm_shared_module_t,
/// its thread-shareable handle (see #WASM_DECLARE_SHARABLE_REF).
WASM_DECLARE_SHARABLE_REF(module)
/// \brief Compiles a binary module; NULL if it is malformed or invalid
/// (use #wasmtime_module_new for the error message).
WASM_API_EXTERN own wasm_module_t *wasm_module_new(wasm_store_t *,
                                                  const wasm_byte_vec_t *binary);
/// \brief Whether a binary module is valid.
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *,
                                          const wasm_byte_vec_t *binary);
/// \brief The module's imports, into `out`.
WASM_API_EXTERN void wasm_module_imports(const wasm_module_t *,
                                         own wasm_importtype_vec_t *out);
/// \brief The module's exports, into `out`.
WASM_API_EXTERN void wasm_module_exports(const wasm_module_t *,
                                         own wasm_exporttype_vec_t *out);
/**
 * \brief Writes the module's compiled form to `out` (a vector the caller
 * owns and deletes), for #wasm_module_deserialize on an engine with the
 * same configuration, Kiln version and target.
 */
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t *,
                                           own wasm_byte_vec_t *out);
/**
 * \brief Loads a module from #wasm_module_serialize's bytes without
 * compiling; NULL if they are not a precompiled module, are truncated or
 * corrupted, or come from another Kiln version, target or configuration
 * (#wasmtime_module_deserialize gives the reason). The bytes must come
 * from #wasm_module_serialize: they become machine code, so untrusted
 * input is unsafe (as in Wasmtime).
 */
WASM_API_EXTERN own wasm_module_t *
wasm_module_deserialize(wasm_store_t *, const wasm_byte_vec_t *);

/* Functions. */

/// \brief #wasm_func_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(func)

/// \brief A host function: fills `results` (preallocated to the result
/// count) or returns a trap, whose ownership passes to the engine.
typedef own wasm_trap_t *(*wasm_func_callback_t)(const wasm_val_vec_t *args,
                                                 own wasm_val_vec_t *results);
/// \brief A host function with an environment.
typedef own wasm_trap_t *(*wasm_func_callback_with_env_t)(
    void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results);

/// \brief A host function of type `type` in the store.
WASM_API_EXTERN own wasm_func_t *wasm_func_new(wasm_store_t *,
                                              const wasm_functype_t *,
                                              wasm_func_callback_t);
/// \brief A host function with `env`; `finalizer` runs on `env` when the
/// store's contents are freed.
WASM_API_EXTERN own wasm_func_t *
wasm_func_new_with_env(wasm_store_t *, const wasm_functype_t *type,
                       wasm_func_callback_with_env_t, void *env,
                       void (*finalizer)(void *));
/// \brief The function's type.
WASM_API_EXTERN own wasm_functype_t *wasm_func_type(const wasm_func_t *);
/// \brief The number of parameters.
WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t *);
/// \brief The number of results.
WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t *);
/**
 * \brief Calls the function. `results` must have as many elements as the
 * function has results; they are overwritten. Returns NULL, or a trap
 * (also for a wrong number or type of arguments).
 */
WASM_API_EXTERN own wasm_trap_t *wasm_func_call(const wasm_func_t *,
                                               const wasm_val_vec_t *args,
                                               wasm_val_vec_t *results);

/* Globals. */

/// \brief #wasm_global_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(global)
/// \brief A global holding `val`; NULL if `val` is of the wrong type.
WASM_API_EXTERN own wasm_global_t *wasm_global_new(wasm_store_t *,
                                                  const wasm_globaltype_t *,
                                                  const wasm_val_t *);
/// \brief The global's type.
WASM_API_EXTERN own wasm_globaltype_t *wasm_global_type(const wasm_global_t *);
/// \brief The value, into `out`.
WASM_API_EXTERN void wasm_global_get(const wasm_global_t *, own wasm_val_t *out);
/// \brief Sets the value; a value of the wrong type, or an immutable
/// global, leaves the global unchanged.
WASM_API_EXTERN void wasm_global_set(wasm_global_t *, const wasm_val_t *);

/* Tables. */

/// \brief #wasm_table_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(table)
/// \brief A table size or index.
typedef uint32_t wasm_table_size_t;
/// \brief A table with every element `init` (NULL: null); NULL on error.
WASM_API_EXTERN own wasm_table_t *wasm_table_new(wasm_store_t *,
                                                const wasm_tabletype_t *,
                                                wasm_ref_t *init);
/// \brief The table's type.
WASM_API_EXTERN own wasm_tabletype_t *wasm_table_type(const wasm_table_t *);
/// \brief Element `index` as a new reference, or NULL (null, out of
/// bounds, or an externref).
WASM_API_EXTERN own wasm_ref_t *wasm_table_get(const wasm_table_t *,
                                              wasm_table_size_t index);
/// \brief Sets element `index`; false if out of bounds or of the wrong
/// type.
WASM_API_EXTERN bool wasm_table_set(wasm_table_t *, wasm_table_size_t index,
                                    wasm_ref_t *);
/// \brief The number of elements.
WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t *);
/// \brief Adds `delta` elements set to `init`; false if it cannot grow.
WASM_API_EXTERN bool wasm_table_grow(wasm_table_t *, wasm_table_size_t delta,
                                     wasm_ref_t *init);

/* Memories. */

/// \brief #wasm_memory_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(memory)
/// \brief A memory size in pages.
typedef uint32_t wasm_memory_pages_t;
/// \brief Bytes per page.
static const size_t MEMORY_PAGE_SIZE = 0x10000;
/// \brief A zeroed memory of type `type`; NULL on error.
WASM_API_EXTERN own wasm_memory_t *wasm_memory_new(wasm_store_t *,
                                                  const wasm_memorytype_t *);
/// \brief The memory's type.
WASM_API_EXTERN own wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *);
/// \brief The memory's bytes.
WASM_API_EXTERN byte_t *wasm_memory_data(wasm_memory_t *);
/// \brief The size in bytes.
WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t *);
/// \brief The size in pages.
WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *);
/// \brief Grows by `delta` pages; false if it cannot.
WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t *, wasm_memory_pages_t delta);

/* Externs. */

/// \brief #wasm_extern_t, a reference object, and #wasm_extern_vec_t, whose
/// `_copy` copies the handles and `_delete` deletes them.
WASM_DECLARE_REF(extern)
WASM_DECLARE_VEC(extern, *)

/// \brief The extern's kind.
WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t *);
/// \brief The extern's type.
WASM_API_EXTERN own wasm_externtype_t *wasm_extern_type(const wasm_extern_t *);

/// \brief Views a function as an extern (no copy).
WASM_API_EXTERN wasm_extern_t *wasm_func_as_extern(wasm_func_t *);
/// \brief Views a global as an extern (no copy).
WASM_API_EXTERN wasm_extern_t *wasm_global_as_extern(wasm_global_t *);
/// \brief Views a table as an extern (no copy).
WASM_API_EXTERN wasm_extern_t *wasm_table_as_extern(wasm_table_t *);
/// \brief Views a memory as an extern (no copy).
WASM_API_EXTERN wasm_extern_t *wasm_memory_as_extern(wasm_memory_t *);
/// \brief Views an extern as a function, or NULL.
WASM_API_EXTERN wasm_func_t *wasm_extern_as_func(wasm_extern_t *);
/// \brief Views an extern as a global, or NULL.
WASM_API_EXTERN wasm_global_t *wasm_extern_as_global(wasm_extern_t *);
/// \brief Views an extern as a table, or NULL.
WASM_API_EXTERN wasm_table_t *wasm_extern_as_table(wasm_extern_t *);
/// \brief Views an extern as a memory, or NULL.
WASM_API_EXTERN wasm_memory_t *wasm_extern_as_memory(wasm_extern_t *);
/// \brief Const view of a function as an extern.
WASM_API_EXTERN const wasm_extern_t *wasm_func_as_extern_const(const wasm_func_t *);
/// \brief Const view of a global as an extern.
WASM_API_EXTERN const wasm_extern_t *wasm_global_as_extern_const(const wasm_global_t *);
/// \brief Const view of a table as an extern.
WASM_API_EXTERN const wasm_extern_t *wasm_table_as_extern_const(const wasm_table_t *);
/// \brief Const view of a memory as an extern.
WASM_API_EXTERN const wasm_extern_t *wasm_memory_as_extern_const(const wasm_memory_t *);
/// \brief Const view of an extern as a function, or NULL.
WASM_API_EXTERN const wasm_func_t *wasm_extern_as_func_const(const wasm_extern_t *);
/// \brief Const view of an extern as a global, or NULL.
WASM_API_EXTERN const wasm_global_t *wasm_extern_as_global_const(const wasm_extern_t *);
/// \brief Const view of an extern as a table, or NULL.
WASM_API_EXTERN const wasm_table_t *wasm_extern_as_table_const(const wasm_extern_t *);
/// \brief Const view of an extern as a memory, or NULL.
WASM_API_EXTERN const wasm_memory_t *wasm_extern_as_memory_const(const wasm_extern_t *);

/* Instances. */

/// \brief #wasm_instance_t: a reference object (see #WASM_DECLARE_REF).
WASM_DECLARE_REF(instance)
/**
 * \brief Instantiates `module` with `imports` (1:1 with its imports).
 * Returns NULL on failure, and then, if `trap` is not NULL, sets `*trap`
 * to a trap describing the failure (a start-function trap or a link
 * error).
 */
WASM_API_EXTERN own wasm_instance_t *
wasm_instance_new(wasm_store_t *, const wasm_module_t *,
                  const wasm_extern_vec_t *imports, own wasm_trap_t **);
/// \brief The instance's exports, in order, into `out`.
WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t *,
                                           own wasm_extern_vec_t *out);

/* Convenience. */

/// \brief An empty vector initializer.
#define WASM_EMPTY_VEC {0, NULL}
/// \brief A vector initializer over a C array.
#define WASM_ARRAY_VEC(array) {sizeof(array) / sizeof(*(array)), array}

/// \brief An `i32` value type.
static inline own wasm_valtype_t *wasm_valtype_new_i32(void) {
  return wasm_valtype_new(WASM_I32);
}
/// \brief An `i64` value type.
static inline own wasm_valtype_t *wasm_valtype_new_i64(void) {
  return wasm_valtype_new(WASM_I64);
}
/// \brief An `f32` value type.
static inline own wasm_valtype_t *wasm_valtype_new_f32(void) {
  return wasm_valtype_new(WASM_F32);
}
/// \brief An `f64` value type.
static inline own wasm_valtype_t *wasm_valtype_new_f64(void) {
  return wasm_valtype_new(WASM_F64);
}
/// \brief An `externref` value type.
static inline own wasm_valtype_t *wasm_valtype_new_externref(void) {
  return wasm_valtype_new(WASM_EXTERNREF);
}
/// \brief A `funcref` value type.
static inline own wasm_valtype_t *wasm_valtype_new_funcref(void) {
  return wasm_valtype_new(WASM_FUNCREF);
}

/// \brief A function type from `np` parameters and `nr` results (all
/// consumed); the shorthands below use it.
static inline own wasm_functype_t *
kiln_functype_of(size_t np, wasm_valtype_t **ps, size_t nr, wasm_valtype_t **rs) {
  wasm_valtype_vec_t params, results;
  if (np) {
    wasm_valtype_vec_new(&params, np, ps);
  } else {
    wasm_valtype_vec_new_empty(&params);
  }
  if (nr) {
    wasm_valtype_vec_new(&results, nr, rs);
  } else {
    wasm_valtype_vec_new_empty(&results);
  }
  return wasm_functype_new(&params, &results);
}

/// \brief `() -> ()`.
static inline own wasm_functype_t *wasm_functype_new_0_0(void) {
  return kiln_functype_of(0, NULL, 0, NULL);
}
/// \brief `(p) -> ()`.
static inline own wasm_functype_t *wasm_functype_new_1_0(own wasm_valtype_t *p) {
  wasm_valtype_t *ps[1] = {p};
  return kiln_functype_of(1, ps, 0, NULL);
}
/// \brief `(p1, p2) -> ()`.
static inline own wasm_functype_t *
wasm_functype_new_2_0(own wasm_valtype_t *p1, own wasm_valtype_t *p2) {
  wasm_valtype_t *ps[2] = {p1, p2};
  return kiln_functype_of(2, ps, 0, NULL);
}
/// \brief `(p1, p2, p3) -> ()`.
static inline own wasm_functype_t *wasm_functype_new_3_0(own wasm_valtype_t *p1,
                                                         own wasm_valtype_t *p2,
                                                         own wasm_valtype_t *p3) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  return kiln_functype_of(3, ps, 0, NULL);
}
/// \brief `() -> (r)`.
static inline own wasm_functype_t *wasm_functype_new_0_1(own wasm_valtype_t *r) {
  wasm_valtype_t *rs[1] = {r};
  return kiln_functype_of(0, NULL, 1, rs);
}
/// \brief `(p) -> (r)`.
static inline own wasm_functype_t *wasm_functype_new_1_1(own wasm_valtype_t *p,
                                                         own wasm_valtype_t *r) {
  wasm_valtype_t *ps[1] = {p};
  wasm_valtype_t *rs[1] = {r};
  return kiln_functype_of(1, ps, 1, rs);
}
/// \brief `(p1, p2) -> (r)`.
static inline own wasm_functype_t *wasm_functype_new_2_1(own wasm_valtype_t *p1,
                                                         own wasm_valtype_t *p2,
                                                         own wasm_valtype_t *r) {
  wasm_valtype_t *ps[2] = {p1, p2};
  wasm_valtype_t *rs[1] = {r};
  return kiln_functype_of(2, ps, 1, rs);
}
/// \brief `(p1, p2, p3) -> (r)`.
static inline own wasm_functype_t *
wasm_functype_new_3_1(own wasm_valtype_t *p1, own wasm_valtype_t *p2,
                      own wasm_valtype_t *p3, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  wasm_valtype_t *rs[1] = {r};
  return kiln_functype_of(3, ps, 1, rs);
}
/// \brief `() -> (r1, r2)`.
static inline own wasm_functype_t *wasm_functype_new_0_2(own wasm_valtype_t *r1,
                                                         own wasm_valtype_t *r2) {
  wasm_valtype_t *rs[2] = {r1, r2};
  return kiln_functype_of(0, NULL, 2, rs);
}
/// \brief `(p) -> (r1, r2)`.
static inline own wasm_functype_t *wasm_functype_new_1_2(own wasm_valtype_t *p,
                                                         own wasm_valtype_t *r1,
                                                         own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[1] = {p};
  wasm_valtype_t *rs[2] = {r1, r2};
  return kiln_functype_of(1, ps, 2, rs);
}
/// \brief `(p1, p2) -> (r1, r2)`.
static inline own wasm_functype_t *
wasm_functype_new_2_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2,
                      own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[2] = {p1, p2};
  wasm_valtype_t *rs[2] = {r1, r2};
  return kiln_functype_of(2, ps, 2, rs);
}
/// \brief `(p1, p2, p3) -> (r1, r2)`.
static inline own wasm_functype_t *
wasm_functype_new_3_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2,
                      own wasm_valtype_t *p3, own wasm_valtype_t *r1,
                      own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[3] = {p1, p2, p3};
  wasm_valtype_t *rs[2] = {r1, r2};
  return kiln_functype_of(3, ps, 2, rs);
}

/// \brief Stores a pointer in a value (as an integer of pointer width).
static inline void wasm_val_init_ptr(own wasm_val_t *out, void *p) {
#if UINTPTR_MAX == UINT32_MAX
  out->kind = WASM_I32;
  out->of.i32 = (intptr_t)p;
#else
  out->kind = WASM_I64;
  out->of.i64 = (intptr_t)p;
#endif
}

/// \brief The pointer stored by #wasm_val_init_ptr.
static inline void *wasm_val_ptr(const wasm_val_t *val) {
#if UINTPTR_MAX == UINT32_MAX
  return (void *)(intptr_t)val->of.i32;
#else
  return (void *)(intptr_t)val->of.i64;
#endif
}

/// \brief An `i32` value initializer.
#define WASM_I32_VAL(i) {.kind = WASM_I32, .of = {.i32 = i}}
/// \brief An `i64` value initializer.
#define WASM_I64_VAL(i) {.kind = WASM_I64, .of = {.i64 = i}}
/// \brief An `f32` value initializer.
#define WASM_F32_VAL(z) {.kind = WASM_F32, .of = {.f32 = z}}
/// \brief An `f64` value initializer.
#define WASM_F64_VAL(z) {.kind = WASM_F64, .of = {.f64 = z}}
/// \brief A reference value initializer.
#define WASM_REF_VAL(r) {.kind = WASM_EXTERNREF, .of = {.ref = r}}
/// \brief A null reference value initializer.
#define WASM_INIT_VAL {.kind = WASM_EXTERNREF, .of = {.ref = NULL}}

#undef own

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASM_H
