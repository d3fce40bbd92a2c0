/**
 * \file kiln/cache.h
 *
 * \brief Kiln's instance-pre cache, for hosts that see the same module
 * again and again (a serverless host starting an instance per request).
 *
 * The cache is bound to one linker (copied when the cache is made) and
 * maps a module's content (its SHA-256) to a ready instance-pre: a hit
 * neither compiles nor resolves imports. It is bounded by entry count and
 * by the compiled modules' approximate size, evicting the least recently
 * used first, and is safe to use from several threads at once. Failed
 * compilations are not cached.
 *
 * This header is Kiln's own (not part of Wasmtime's API); its names are
 * prefixed `kiln_`.
 */
#ifndef KILN_CACHE_H
#define KILN_CACHE_H

#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef kiln_instance_pre_cache_t
 * \brief An instance-pre cache. Delete with #kiln_instance_pre_cache_delete.
 */
typedef struct kiln_instance_pre_cache kiln_instance_pre_cache_t;

/// \brief Counters of an instance-pre cache.
typedef struct kiln_cache_stats {
  /// Lookups answered from the cache.
  uint64_t hits;
  /// Lookups that compiled the module.
  uint64_t misses;
  /// Entries evicted to stay within the bounds.
  uint64_t evictions;
  /// Entries held now.
  size_t entries;
  /// Approximate bytes held now (compiled code and data).
  size_t bytes;
} kiln_cache_stats_t;

/**
 * \brief Makes a cache over a copy of `linker`, holding at most
 * `max_entries` instance-pres and about `max_bytes` of compiled modules.
 * Later definitions on `linker` do not affect the cache.
 */
WASM_API_EXTERN kiln_instance_pre_cache_t *
kiln_instance_pre_cache_new(const wasmtime_linker_t *linker, size_t max_entries,
                            size_t max_bytes);

/// \brief Deletes a cache (instance-pres it handed out stay valid). NULL
/// is ignored.
WASM_API_EXTERN void kiln_instance_pre_cache_delete(kiln_instance_pre_cache_t *cache);

/**
 * \brief The instance-pre of the `wasm_len` bytes of binary WebAssembly at
 * `wasm`: from the cache, or compiled, resolved with the cache's linker and
 * cached.
 *
 * On success returns NULL and writes to `instance_pre` a new reference the
 * caller deletes with #wasmtime_instance_pre_delete. A module that does not
 * compile, or whose imports the linker cannot satisfy, is an error (and is
 * not cached).
 */
WASM_API_EXTERN wasmtime_error_t *
kiln_instance_pre_cache_get(kiln_instance_pre_cache_t *cache, const uint8_t *wasm,
                            size_t wasm_len, wasmtime_instance_pre_t **instance_pre);

/// \brief Writes the cache's counters to `out`.
WASM_API_EXTERN void kiln_instance_pre_cache_stats(const kiln_instance_pre_cache_t *cache,
                                                   kiln_cache_stats_t *out);

/// \brief Drops every entry (the counters are kept).
WASM_API_EXTERN void kiln_instance_pre_cache_clear(kiln_instance_pre_cache_t *cache);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // KILN_CACHE_H
