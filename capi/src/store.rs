//! `wasmtime/store.h` and `wasm_store_t`: stores, their contexts, host
//! data, fuel, epochs and limits.
//!
//! A `wasmtime_store_t *` is the address of the store's contents (a
//! `StoreInner<StoreData>`, see `Store::into_raw`), and its
//! `wasmtime_context_t *` is the same address: `wasmtime_store_context`
//! returns its argument, and a host function's caller context is the
//! address of the store it runs in. Callers may pass either where the
//! other is expected.

use crate::engine::wasm_engine_t;
use crate::error::{to_c, wasmtime_error_t, write_result};
use crate::ffi::Finalized;
use kiln_runtime::{Store, StoreContextMut, StoreInner, StoreLimits, UpdateDeadline};
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::sync::Arc;

/// What every C store carries besides its wasm objects.
pub struct StoreData {
    /// The embedder's data (`wasmtime_store_new`'s `data`), finalized when
    /// the store is deleted.
    pub(crate) user: Finalized,
    /// Reusable argument/result buffers of host calls (`wasmtime_val_t`).
    pub(crate) hostcall_vals: Vec<crate::val::wasmtime_val_t>,
}

impl StoreData {
    fn new(data: *mut c_void, finalizer: Option<extern "C" fn(*mut c_void)>) -> StoreData {
        StoreData {
            user: Finalized::new(data, finalizer),
            hostcall_vals: Vec::new(),
        }
    }
}

/// A store, as `wasmtime/store.h` sees it: the store's contents.
pub type wasmtime_store_t = StoreInner<StoreData>;
/// A store's context: the same address as the store.
pub type wasmtime_context_t = StoreInner<StoreData>;

/// The context at `ptr`.
///
/// # Safety
///
/// `ptr` is NULL (aborts) or a live store's (or caller's) context, used by
/// one thread at a time.
pub(crate) unsafe fn context<'a>(ptr: *const wasmtime_context_t) -> StoreContextMut<'a, StoreData> {
    if ptr.is_null() {
        crate::ffi::null_argument("wasmtime_context_t");
    }
    // SAFETY: the caller's contract; C has no notion of shared and unique
    // borrows, and the API is single-threaded per store.
    unsafe { StoreContextMut::from_raw(ptr.cast_mut()) }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_store_new(
    engine: &wasm_engine_t,
    data: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) -> *mut wasmtime_store_t {
    Store::new(&engine.engine, StoreData::new(data, finalizer)).into_raw()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_store_context(store: *mut wasmtime_store_t) -> *mut wasmtime_context_t {
    store
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_store_delete(store: *mut wasmtime_store_t) {
    if store.is_null() {
        return;
    }
    // SAFETY: a store from `wasmtime_store_new`, deleted once (the
    // header's contract).
    drop(unsafe { Store::from_raw(store) });
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_store_limiter(
    store: *mut wasmtime_store_t,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
) {
    let defaults = StoreLimits::default();
    let size = |v: i64| usize::try_from(v).ok();
    let count = |v: i64, default: usize| usize::try_from(v).unwrap_or(default);
    let limits = StoreLimits {
        memory_size: size(memory_size),
        table_elements: size(table_elements),
        instances: count(instances, defaults.instances),
        tables: count(tables, defaults.tables),
        memories: count(memories, defaults.memories),
    };
    // SAFETY: a live store, which is its own context (the header's
    // contract).
    unsafe { context(store.cast()) }.limiter(limits);
}

/// `WASMTIME_UPDATE_DEADLINE_CONTINUE`.
const UPDATE_DEADLINE_CONTINUE: u8 = 0;

type EpochCallback = extern "C" fn(
    *const wasmtime_context_t,
    *mut c_void,
    *mut u64,
    *mut u8,
) -> Option<Box<wasmtime_error_t>>;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_store_epoch_deadline_callback(
    store: *mut wasmtime_store_t,
    func: Option<EpochCallback>,
    data: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) {
    let env = Finalized::new(data, finalizer);
    // SAFETY: a live store, which is its own context (the header's
    // contract).
    let mut s = unsafe { context(store.cast()) };
    match func {
        None => {
            drop(env);
            s.epoch_deadline_trap();
        }
        Some(func) => s.epoch_deadline_callback(move |mut ctx| {
            let env = &env;
            let mut delta = 0u64;
            let mut kind = UPDATE_DEADLINE_CONTINUE;
            if let Some(error) = func(ctx.as_raw(), env.data, &mut delta, &mut kind) {
                return Err(error.error);
            }
            anyhow::ensure!(
                kind == UPDATE_DEADLINE_CONTINUE,
                "epoch deadline callback asked to yield, but Kiln has no async support"
            );
            Ok(UpdateDeadline::Continue(delta))
        }),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_get_data(
    context: *const wasmtime_context_t,
) -> *mut c_void {
    // SAFETY: a live context (the header's contract).
    unsafe { self::context(context) }.data().user.data
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_set_data(
    context: *mut wasmtime_context_t,
    data: *mut c_void,
) {
    // SAFETY: a live context (the header's contract).
    unsafe { self::context(context) }.data_mut().user.data = data;
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_gc(
    _context: *mut wasmtime_context_t,
) -> Option<Box<wasmtime_error_t>> {
    // Kiln has no garbage-collected references: an `externref` lives as
    // long as its store, so there is nothing to collect.
    None
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_set_fuel(
    context: *mut wasmtime_context_t,
    fuel: u64,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { self::context(context) };
    to_c(ctx.set_fuel(fuel))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_get_fuel(
    context: *const wasmtime_context_t,
    fuel: *mut u64,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { self::context(context) };
    // SAFETY: a writable `uint64_t` (the header's contract).
    unsafe { write_result(ctx.get_fuel(), fuel, "fuel out pointer") }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_context_set_epoch_deadline(
    context: *mut wasmtime_context_t,
    ticks_beyond_current: u64,
) {
    // SAFETY: a live context (the header's contract).
    unsafe { self::context(context) }.set_epoch_deadline(ticks_beyond_current);
}

/// A `wasm.h` store. Objects made in it (functions, memories, ...) hold a
/// reference, so the store lives until the last of them is deleted.
pub struct wasm_store_t {
    pub(crate) store: Arc<WasmStore>,
}

/// The shared store behind `wasm_store_t` and its objects, with its id and
/// engine kept apart, so that reading them never touches the store a
/// running call may be borrowing mutably.
pub struct WasmStore {
    store: UnsafeCell<Store<StoreData>>,
    id: u64,
    engine: kiln_runtime::Engine,
}

// SAFETY: `wasm.h` stores are used by one thread at a time (the API's
// contract, as for Wasmtime); the `Arc` only shares ownership.
unsafe impl Send for WasmStore {}
// SAFETY: as above.
unsafe impl Sync for WasmStore {}

impl WasmStore {
    /// The store's context.
    pub(crate) fn context(&self) -> StoreContextMut<'_, StoreData> {
        // SAFETY: single-threaded use (above), and no borrow of the store
        // outlives a C API call, so this is the only one.
        let store = unsafe { &mut *self.store.get() };
        StoreContextMut::from(store)
    }

    /// The store's id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The store's engine.
    pub(crate) fn engine(&self) -> &kiln_runtime::Engine {
        &self.engine
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_store_new(engine: &wasm_engine_t) -> Box<wasm_store_t> {
    let store = Store::new(&engine.engine, StoreData::new(std::ptr::null_mut(), None));
    Box::new(wasm_store_t {
        store: Arc::new(WasmStore {
            id: store.id(),
            engine: engine.engine.clone(),
            store: UnsafeCell::new(store),
        }),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_store_delete(store: Option<Box<wasm_store_t>>) {
    drop(store);
}
