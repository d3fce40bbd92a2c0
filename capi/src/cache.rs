//! `kiln/cache.h`: Kiln's own C entry points for the instance-pre cache
//! (`kiln_runtime::InstancePreCache`).

use crate::error::{wasmtime_error_t, write_result};
use crate::instance::wasmtime_instance_pre_t;
use crate::linker::wasmtime_linker_t;
use crate::store::StoreData;
use kiln_runtime::InstancePreCache;

/// `kiln_instance_pre_cache_t`.
pub struct kiln_instance_pre_cache_t {
    cache: InstancePreCache<StoreData>,
}

/// `kiln_cache_stats_t`.
#[repr(C)]
pub struct kiln_cache_stats_t {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub entries: usize,
    pub bytes: usize,
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_instance_pre_cache_new(
    linker: &wasmtime_linker_t,
    max_entries: usize,
    max_bytes: usize,
) -> Box<kiln_instance_pre_cache_t> {
    Box::new(kiln_instance_pre_cache_t {
        cache: InstancePreCache::new(linker.linker.clone(), max_entries, max_bytes),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_instance_pre_cache_delete(cache: Option<Box<kiln_instance_pre_cache_t>>) {
    drop(cache);
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn kiln_instance_pre_cache_get(
    cache: &kiln_instance_pre_cache_t,
    wasm: *const u8,
    wasm_len: usize,
    instance_pre: *mut *mut wasmtime_instance_pre_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: `wasm_len` bytes at `wasm` (the header's contract).
    let bytes = unsafe { crate::ffi::slice(wasm, wasm_len) };
    let result = cache.cache.get_or_compile(bytes);
    let result = result.map(wasmtime_instance_pre_t::into_raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, instance_pre, "wasmtime_instance_pre_t out pointer") }
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_instance_pre_cache_stats(
    cache: &kiln_instance_pre_cache_t,
    out: &mut kiln_cache_stats_t,
) {
    let s = cache.cache.stats();
    crate::ffi::init(
        out,
        kiln_cache_stats_t {
            hits: s.hits,
            misses: s.misses,
            evictions: s.evictions,
            entries: s.entries,
            bytes: s.bytes,
        },
    );
}

#[unsafe(no_mangle)]
pub extern "C" fn kiln_instance_pre_cache_clear(cache: &kiln_instance_pre_cache_t) {
    cache.cache.clear();
}
