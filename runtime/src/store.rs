//! `Store<T>`: the owner of everything instantiated — instances, memories,
//! globals, host functions — and of the host's data `T`.
//!
//! Creating a store is nearly free: one allocation, no syscall, no mapping.
//! The store's contents live behind a `Box` so compiled code and host
//! function contexts can hold stable pointers into it.

use crate::anchor::{Anchored, anchor};
use crate::func::HostFunc;
use crate::instance::InstanceData;
use crate::vm::memory::LinearMemory;
use crate::vm::traphandlers::CodeLookup;
use crate::vm::{VMGlobalDefinition, VMStoreContext, ValRaw};
use kiln_engine::{CodeImage, Engine, GlobalType, Module};
use smallvec::SmallVec;
use std::sync::atomic::{AtomicU64, Ordering};

/// A collection of instances and host objects, with host data `T`.
pub struct Store<T> {
    pub(crate) inner: Box<StoreInner<T>>,
}

/// The store's contents, at a stable address. `repr(C)` with `opaque`
/// first: host functions find the store from `VMStoreContext::store`, a
/// pointer to `opaque`, and cast it to the whole.
#[repr(C)]
#[allow(
    clippy::vec_box,
    reason = "boxes give stable addresses to compiled code"
)]
pub struct StoreInner<T> {
    pub(crate) opaque: StoreOpaque,
    pub(crate) host_funcs: Vec<std::sync::Arc<HostFunc<T>>>,
    pub(crate) data: T,
}

/// A host-created global.
pub(crate) struct HostGlobal {
    pub ty: GlobalType,
    pub def: Box<VMGlobalDefinition>,
}

/// What the non-generic part of a store knows of a host function.
pub(crate) struct HostFuncInfo {
    pub ty: kiln_engine::FuncType,
    /// Its `funcref` (`vmctx` is the function's context); `wasm_call` is
    /// filled when first needed.
    pub func_ref: Box<crate::vm::VMFuncRef>,
}

/// The part of a store that does not depend on `T`.
#[allow(
    clippy::vec_box,
    reason = "boxes give stable addresses to compiled code"
)]
pub struct StoreOpaque {
    pub(crate) id: u64,
    pub(crate) vm: VMStoreContext,
    pub(crate) instances: SmallVec<[InstanceData; 1]>,
    pub(crate) memories: SmallVec<[Box<LinearMemory>; 2]>,
    pub(crate) globals: Vec<HostGlobal>,
    /// Type and context pointer of each host function (same index as
    /// `StoreInner::host_funcs`).
    pub(crate) host_func_info: Vec<HostFuncInfo>,
    pub(crate) tables: SmallVec<[Box<crate::vm::table::TableData>; 2]>,
    /// Host data behind `externref` values (a reference is an index
    /// here plus one); they live as long as the store.
    pub(crate) externrefs: Vec<crate::externals::ExternRefData>,
    /// Modules with instances in this store, for mapping trap addresses.
    pub(crate) modules: SmallVec<[Anchored<Module>; 1]>,
    /// Reusable argument buffer for dynamic calls.
    pub(crate) call_buf: SmallVec<[ValRaw; 8]>,
    /// What this store's instances may grow to.
    pub(crate) limits: StoreLimits,
    /// Called when the epoch deadline is reached (a trap when `None`).
    pub(crate) epoch_callback: Option<Box<EpochCallback>>,
    /// The engine's `max_wasm_stack`, read on every call into wasm.
    pub(crate) max_wasm_stack: usize,
    /// Declared last, so dropped last: the memories and tables point into
    /// its allocator's pools and caches (`vm::Unowned`).
    pub(crate) engine: Anchored<Engine>,
}

/// A type-erased epoch-deadline callback: gets the store's contents
/// (`*mut StoreInner<T>` cast to `*mut u8`) and returns the ticks to the
/// next deadline, or an error that traps.
pub(crate) type EpochCallback = dyn FnMut(*mut u8) -> anyhow::Result<u64> + Send;

/// What the wasm of one store may allocate, set with [`Store::limiter`]:
/// linear memory bytes and table elements per memory or table, and the
/// number of instances, memories and tables in the store. A memory or
/// table that would pass its limit fails to grow (`memory.grow` returns
/// -1); an instantiation that would pass one fails with an error.
#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Most bytes one linear memory may have.
    pub memory_size: Option<usize>,
    /// Most elements one table may have.
    pub table_elements: Option<usize>,
    /// Most instances in the store.
    pub instances: usize,
    /// Most tables in the store.
    pub tables: usize,
    /// Most memories in the store.
    pub memories: usize,
}

impl Default for StoreLimits {
    /// No size limits, and at most 10,000 instances, tables and memories
    /// (Wasmtime's defaults).
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: 10_000,
            tables: 10_000,
            memories: 10_000,
        }
    }
}

/// What an epoch-deadline callback asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Keep running; the next deadline is this many ticks from now.
    Continue(u64),
}

// SAFETY: the raw pointers point into allocations the store owns; a store
// is used by one thread at a time.
unsafe impl Send for StoreOpaque {}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Store ids a thread takes from [`NEXT_STORE_ID`] at once, so that
/// threads creating stores at the same time do not contend on it.
const STORE_ID_BLOCK: u64 = 1024;

thread_local! {
    /// This thread's next store id and the end of its block.
    static STORE_IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A store id no other store has had: ids are unique across threads.
fn next_store_id() -> u64 {
    STORE_IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_STORE_ID.fetch_add(STORE_ID_BLOCK, Ordering::Relaxed);
            end = next + STORE_ID_BLOCK;
        }
        ids.set((next + 1, end));
        next
    })
}

impl<T> Store<T> {
    /// Creates an empty store.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let mut store = Store {
            inner: Box::new(StoreInner {
                opaque: StoreOpaque {
                    id: next_store_id(),
                    engine: anchor(engine),
                    vm: VMStoreContext::new(engine),
                    instances: SmallVec::new(),
                    memories: SmallVec::new(),
                    globals: Vec::new(),
                    host_func_info: Vec::new(),
                    modules: SmallVec::new(),
                    call_buf: SmallVec::new(),
                    tables: SmallVec::new(),
                    externrefs: Vec::new(),
                    limits: StoreLimits::default(),
                    epoch_callback: None,
                    max_wasm_stack: engine.config().get_max_wasm_stack(),
                },
                host_funcs: Vec::new(),
                data,
            }),
        };
        store.inner.opaque.vm.store = &raw mut store.inner.opaque;
        store
    }

    /// Gives up the store as a pointer to its contents, which stay at that
    /// address until [`Store::from_raw`] takes them back. The C API hands
    /// this pointer out as both `wasmtime_store_t *` and
    /// `wasmtime_context_t *`.
    pub fn into_raw(self) -> *mut StoreInner<T> {
        Box::into_raw(self.inner)
    }

    /// Takes back a store given up by [`Store::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from `into_raw` and is not used after this (except
    /// through the returned store).
    pub unsafe fn from_raw(ptr: *mut StoreInner<T>) -> Store<T> {
        Store {
            // SAFETY: the caller's contract: `ptr` is a leaked box.
            inner: unsafe { Box::from_raw(ptr) },
        }
    }

    /// The store's unique id (every handle of the store carries it).
    pub fn id(&self) -> u64 {
        self.inner.opaque.id
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.inner.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data
    }

    /// Consumes the store, returning its data.
    pub fn into_data(self) -> T {
        let inner = *self.inner;
        inner.data
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.opaque.engine
    }

    /// Sets the fuel wasm in this store may consume before it traps with
    /// "all fuel consumed".
    ///
    /// # Errors
    ///
    /// The engine was not configured with `Config::consume_fuel`.
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.inner.opaque.set_fuel(fuel)
    }

    /// The fuel left.
    ///
    /// # Errors
    ///
    /// The engine was not configured with `Config::consume_fuel`.
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.inner.opaque.get_fuel()
    }

    /// Interrupts wasm in this store once the engine's epoch has advanced
    /// `ticks` beyond the current one (with `Config::epoch_interruption`).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.opaque.set_epoch_deadline(ticks);
    }
}

impl<T: 'static> Store<T> {
    /// Sets what this store's wasm may allocate (see [`StoreLimits`]).
    pub fn limiter(&mut self, limits: StoreLimits) {
        self.as_context_mut().limiter(limits);
    }

    /// Calls `callback` whenever wasm in this store reaches its epoch
    /// deadline, instead of trapping: it may keep the wasm running with a
    /// new deadline, or return an error, which traps the wasm and is
    /// returned to its caller.
    pub fn epoch_deadline_callback(
        &mut self,
        callback: impl FnMut(StoreContextMut<'_, T>) -> anyhow::Result<UpdateDeadline> + Send + 'static,
    ) {
        self.as_context_mut().epoch_deadline_callback(callback);
    }

    /// Traps wasm that reaches its epoch deadline (the default).
    pub fn epoch_deadline_trap(&mut self) {
        self.as_context_mut().epoch_deadline_trap();
    }
}

impl<T: 'static> StoreContextMut<'_, T> {
    /// As [`Store::limiter`].
    pub fn limiter(&mut self, limits: StoreLimits) {
        self.0.opaque.limits = limits;
    }

    /// As [`Store::epoch_deadline_callback`].
    pub fn epoch_deadline_callback(
        &mut self,
        mut callback: impl FnMut(StoreContextMut<'_, T>) -> anyhow::Result<UpdateDeadline>
        + Send
        + 'static,
    ) {
        let erased = move |store: *mut u8| -> anyhow::Result<u64> {
            // SAFETY: the libcall passes this store's contents, a
            // `StoreInner<T>`, exclusively lent by the running wasm.
            let ctx = unsafe { StoreContextMut::from_raw(store.cast::<StoreInner<T>>()) };
            let UpdateDeadline::Continue(ticks) = callback(ctx)?;
            Ok(ticks)
        };
        self.0.opaque.epoch_callback = Some(Box::new(erased));
    }

    /// As [`Store::epoch_deadline_trap`].
    pub fn epoch_deadline_trap(&mut self) {
        self.0.opaque.epoch_callback = None;
    }
}

impl StoreOpaque {
    pub(crate) fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.engine.config().get_consume_fuel(),
            "fuel is not enabled: use `Config::consume_fuel`"
        );
        self.vm.fuel_consumed = -(fuel.min(i64::MAX as u64) as i64);
        Ok(())
    }

    pub(crate) fn get_fuel(&self) -> anyhow::Result<u64> {
        anyhow::ensure!(
            self.engine.config().get_consume_fuel(),
            "fuel is not enabled: use `Config::consume_fuel`"
        );
        Ok(self.vm.fuel_consumed.min(0).unsigned_abs())
    }

    pub(crate) fn set_epoch_deadline(&mut self, ticks: u64) {
        self.vm.epoch_deadline = self.engine.current_epoch().saturating_add(ticks);
    }

    /// Fails if instantiating `module` would pass the store's limits.
    pub(crate) fn check_instance_limits(
        &self,
        info: &kiln_engine::module_info::ModuleInfo,
    ) -> anyhow::Result<()> {
        let l = &self.limits;
        let new_memories = info.memories.len() - info.num_imported_memories as usize;
        let new_tables = info.tables.len() - info.num_imported_tables as usize;
        anyhow::ensure!(
            self.instances.len() < l.instances,
            "resource limit exceeded: instance count too high at {}",
            l.instances
        );
        self.check_new_items(new_memories, new_tables)?;
        // Size limits are rare: skip the walk over the module's memories
        // and tables when none is set (instantiation is the hot path).
        if l.memory_size.is_some() {
            for ty in &info.memories[info.num_imported_memories as usize..] {
                self.check_memory_size(ty.minimum().saturating_mul(crate::vm::memory::WASM_PAGE))?;
            }
        }
        if l.table_elements.is_some() {
            for ty in &info.tables[info.num_imported_tables as usize..] {
                self.check_table_size(ty.minimum())?;
            }
        }
        Ok(())
    }

    /// Fails if `memories` more memories or `tables` more tables would pass
    /// the store's counts.
    pub(crate) fn check_new_items(&self, memories: usize, tables: usize) -> anyhow::Result<()> {
        let l = &self.limits;
        anyhow::ensure!(
            self.memories.len() + memories <= l.memories,
            "resource limit exceeded: memory count too high at {}",
            l.memories
        );
        anyhow::ensure!(
            self.tables.len() + tables <= l.tables,
            "resource limit exceeded: table count too high at {}",
            l.tables
        );
        Ok(())
    }

    /// Fails if a memory of `bytes` would pass the store's limit.
    pub(crate) fn check_memory_size(&self, bytes: u64) -> anyhow::Result<()> {
        match self.limits.memory_size {
            Some(max) if bytes > max as u64 => anyhow::bail!(
                "resource limit exceeded: memory of {bytes} bytes is over the limit of {max}"
            ),
            _ => Ok(()),
        }
    }

    /// Fails if a table of `elements` would pass the store's limit.
    pub(crate) fn check_table_size(&self, elements: u64) -> anyhow::Result<()> {
        match self.limits.table_elements {
            Some(max) if elements > max as u64 => anyhow::bail!(
                "resource limit exceeded: table of {elements} elements is over the limit of {max}"
            ),
            _ => Ok(()),
        }
    }

    /// Panics unless an object with store id `id` belongs here.
    #[track_caller]
    #[inline]
    pub(crate) fn check(&self, id: u64) {
        assert_eq!(self.id, id, "object used with the wrong store");
    }

    /// Registers `module` for trap lookup.
    pub(crate) fn register_module(&mut self, module: &Module) {
        if !self.modules.iter().any(|m| Module::same(m, module)) {
            self.modules.push(anchor(module));
        }
    }

    /// The module whose code contains `pc`.
    pub(crate) fn module_at(&self, pc: usize) -> Option<&Module> {
        self.modules
            .iter()
            .map(|m| &**m)
            .find(|m| m.code().range().contains(&pc))
    }

    /// The store context compiled code uses.
    pub(crate) fn vm_ptr(&mut self) -> *mut VMStoreContext {
        &raw mut self.vm
    }
}

impl CodeLookup for StoreOpaque {
    fn lookup_code(&self, pc: usize) -> Option<&CodeImage> {
        self.module_at(pc).map(|m| m.code())
    }
}

/// A shared borrow of a store.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);

/// An exclusive borrow of a store.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut StoreInner<T>);

impl<T> StoreContext<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        &self.0.data
    }
}

impl<'a, T> StoreContextMut<'a, T> {
    /// The context of the store whose contents are at `ptr` (see
    /// [`Store::into_raw`]; a [`Caller`](crate::Caller) also exposes it).
    ///
    /// # Safety
    ///
    /// `ptr` points to a live store's contents, which nothing else
    /// accesses for `'a` except through this context (a host function's
    /// caller context may be reused while the host function runs).
    pub unsafe fn from_raw(ptr: *mut StoreInner<T>) -> StoreContextMut<'a, T> {
        // SAFETY: the caller's contract.
        StoreContextMut(unsafe { &mut *ptr })
    }

    /// The store's id.
    pub fn id(&self) -> u64 {
        self.0.opaque.id
    }

    /// The address of the store's contents (what [`Store::into_raw`]
    /// returns).
    pub fn as_raw(&mut self) -> *mut StoreInner<T> {
        &raw mut *self.0
    }

    /// As [`Store::set_fuel`].
    ///
    /// # Errors
    ///
    /// The engine was not configured with `Config::consume_fuel`.
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.0.opaque.set_fuel(fuel)
    }

    /// As [`Store::get_fuel`].
    ///
    /// # Errors
    ///
    /// The engine was not configured with `Config::consume_fuel`.
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.0.opaque.get_fuel()
    }

    /// As [`Store::set_epoch_deadline`].
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.0.opaque.set_epoch_deadline(ticks);
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.0.opaque.engine
    }
}

impl<T> StoreContextMut<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        &self.0.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }
}

/// Anything that can lend a store for reading: `Store`, `Caller`, contexts.
pub trait AsContext {
    /// The host data type.
    type Data;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend a store for writing.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(&self.inner)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(&mut self.inner)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, S::Data> {
        (**self).as_context_mut()
    }
}
