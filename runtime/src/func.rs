//! `Func`: a function of a store — exported by an instance or defined by
//! the host — and the ways to call it: dynamically with [`Val`]s, or typed
//! through [`TypedFunc`], which does not allocate.

use crate::Extern;
use crate::instance::Instance;
use crate::store::{
    AsContext, AsContextMut, StoreContext, StoreContextMut, StoreInner, StoreOpaque,
};
use crate::trap;
use crate::values::Val;
use crate::vm::traphandlers::{self, CodeLookup, TrapReason};
use crate::vm::{HOST_MAGIC, VMFuncImport, VMFuncRef, VMHostFuncHeader, ValRaw};
use anyhow::{Result, bail};
use kiln_engine::{FuncEntry, FuncType, ValType};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A function in a store. A small handle: `Copy`, valid only with its store.
#[derive(Clone, Copy, Debug)]
pub struct Func {
    pub(crate) store: u64,
    pub(crate) kind: FuncKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FuncKind {
    /// Index into the store's host functions.
    Host(u32),
    /// Function `index` (in its module's function space) of an instance.
    Wasm { instance: u32, index: u32 },
    /// Whatever the instance imported as function `index`: reached through
    /// the instance's import slot (used for imports resolved by an
    /// `InstancePre`, which registers nothing in the store).
    Imported { instance: u32, index: u32 },
}

/// `VMFuncRef::kind` tags: the top two bits say how to find the `Func`.
const KIND_TAG_SHIFT: u32 = 62;
/// A defined function; the low 32 bits are its index, and its instance is
/// the one in the header of `VMFuncRef::vmctx`.
const KIND_WASM: u64 = 0;
/// An import slot; bits 32..62 are the offset of this `VMFuncRef` in its
/// instance's VMContext, the low 32 bits the function index.
const KIND_IMPORT: u64 = 1;
/// A host function of the store; the low 32 bits are its index.
const KIND_HOST: u64 = 2;

/// The `VMFuncRef::kind` of a defined function.
pub(crate) fn wasm_kind(index: u32) -> u64 {
    (KIND_WASM << KIND_TAG_SHIFT) | u64::from(index)
}

/// The `VMFuncRef::kind` of imported function `index`, whose `VMFuncRef`
/// is at `offset` in the importing instance's VMContext.
pub(crate) fn import_kind(offset: u32, index: u32) -> u64 {
    (KIND_IMPORT << KIND_TAG_SHIFT) | (u64::from(offset) << 32) | u64::from(index)
}

type HostFn<T> = dyn Fn(Caller<'_, T>, &mut [ValRaw]) -> Result<()> + Send + Sync;

/// A host function's context: what its "vmctx" pointer points to. It
/// holds no store: the store is found from the calling instance, so one
/// `HostFunc` (in an `Arc`) serves every store a `Linker` instantiates in.
#[repr(C)]
pub(crate) struct HostFunc<T> {
    header: VMHostFuncHeader,
    pub(crate) ty: FuncType,
    pub(crate) type_id: u32,
    func: Box<HostFn<T>>,
}

impl<T> HostFunc<T> {
    /// A host function of type `ty` for `engine`.
    pub(crate) fn new(
        engine: &kiln_engine::Engine,
        ty: FuncType,
        func: Box<HostFn<T>>,
    ) -> HostFunc<T> {
        HostFunc {
            header: VMHostFuncHeader {
                magic: HOST_MAGIC,
                array_call: host_array_call::<T>,
            },
            type_id: engine.type_id(&ty),
            ty,
            func,
        }
    }

    /// The context pointer compiled code passes to the host trampoline.
    pub(crate) fn ctx(self: &std::sync::Arc<Self>) -> *mut u8 {
        std::sync::Arc::as_ptr(self).cast_mut().cast()
    }
}

/// The array-call entry of host functions with store data `T`.
///
/// # Safety
///
/// `callee` must be a live `HostFunc<T>`, `caller_vmctx` the VMContext of
/// the calling instance, and `values` hold `len` slots.
unsafe extern "C" fn host_array_call<T>(
    callee: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
    len: usize,
) {
    let result = {
        // SAFETY: compiled code passes the context it was linked with, a
        // `HostFunc<T>` kept alive by the store or by the `InstancePre` the
        // calling instance holds.
        let host = unsafe { &*callee.cast::<HostFunc<T>>() };
        // SAFETY: the caller's VMContext is live during the call, and its
        // store context names its store, a `StoreInner<T>` (host functions
        // of data type `T` are only linked into instances of `Store<T>`).
        // The store is exclusively lent to the running wasm, which lends
        // it on to the host function for the duration of the call.
        let (store, instance) = unsafe {
            let store = crate::vm::store_of(caller_vmctx).cast::<StoreInner<T>>();
            (&mut *store, crate::vm::instance_index(caller_vmctx) as u32)
        };
        let caller = Caller {
            store,
            instance: Some(instance),
        };
        // SAFETY: the trampoline passes a buffer of `len` slots.
        let values = unsafe { std::slice::from_raw_parts_mut(values, len) };
        catch_unwind(AssertUnwindSafe(|| (host.func)(caller, values)))
    };
    let reason = match result {
        Ok(Ok(())) => return,
        Ok(Err(error)) => TrapReason::Host(error),
        Err(panic) => TrapReason::Panic(panic),
    };
    // SAFETY: called from wasm; everything this frame owned is dropped or
    // moved into `reason`.
    unsafe { traphandlers::raise(reason) }
}

/// A host function over [`Val`]s, adapted to the raw slot interface.
pub(crate) fn dynamic_host_fn<T>(
    ty: FuncType,
    func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> Box<HostFn<T>> {
    let closure_ty = ty;
    let raw = move |mut caller: Caller<'_, T>, values: &mut [ValRaw]| -> Result<()> {
        let ty = &closure_ty;
        let params: Vec<Val> = ty
            .params()
            .iter()
            .zip(values.iter())
            .map(|(t, raw)| Val::from_raw(&caller.store.opaque, *raw, *t))
            .collect();
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(*t).expect("host-representable result type"))
            .collect();
        func(caller.reborrow(), &params, &mut results)?;
        for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
            if r.ty() != *t {
                bail!("host function result {i} has type {}, expected {t}", r.ty());
            }
            values[i] = r.to_raw(&mut caller.store.opaque)?;
        }
        Ok(())
    };
    Box::new(raw)
}

impl Func {
    /// Defines a host function of type `ty` taking and returning [`Val`]s.
    ///
    /// The closure receives the arguments and must fill `results` with
    /// values of the result types; an `Err` traps the calling wasm and is
    /// returned to the host that called it.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut().0;
        let raw = dynamic_host_fn(ty.clone(), func);
        Func::new_raw(store, ty, raw)
    }

    /// Defines a host function from a Rust closure whose parameter and
    /// result types give the wasm signature, optionally taking a
    /// [`Caller`] first and returning a `Result`.
    pub fn wrap<T, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let store = store.as_context_mut().0;
        let (ty, raw) = func.into_func();
        Func::new_raw(store, ty, raw)
    }

    /// Defines a host function of type `ty` over raw value slots: the
    /// closure gets `max(params, results)` slots holding the arguments and
    /// writes the results into the first ones.
    ///
    /// # Safety
    ///
    /// The closure writes a value of each result type (a reference only of
    /// this store) into the result slots before returning `Ok`.
    pub unsafe fn new_unchecked<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut().0;
        Func::new_raw(store, ty, Box::new(func))
    }

    /// Calls the function with arguments and results in raw slots: the
    /// arguments in the first slots, overwritten by the results.
    ///
    /// # Errors
    ///
    /// Fewer than `max(params, results)` slots, or a trap or host error
    /// during the call.
    ///
    /// # Safety
    ///
    /// `values` points to `len` slots, the arguments are of the parameter
    /// types (references only of this store).
    #[inline]
    pub unsafe fn call_unchecked(
        &self,
        mut store: impl AsContextMut,
        values: *mut ValRaw,
        len: usize,
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        store.opaque.check(self.store);
        // The array trampolines move each value with one load or store of
        // at most 8 bytes (there are no 128-bit values), so the 8-byte
        // alignment C guarantees for `wasmtime_val_raw_t` arrays suffices.
        if let FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } =
            self.kind
            && (values as usize).is_multiple_of(8)
        {
            let (entry, e, _) = WasmEntry::new(&store.opaque, instance, index);
            if len >= e.slots as usize {
                // SAFETY: the caller guarantees `len` slots, the first ones
                // of the parameter types; `entry` is this function's.
                return unsafe { entry.call(&mut store.opaque, values) };
            }
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.call_unchecked_slow(store, values, len) }
    }

    /// [`Func::call_unchecked`] for host functions, too few slots, or
    /// slots not 8-aligned.
    ///
    /// # Safety
    ///
    /// As for [`Func::call_unchecked`].
    #[inline(never)]
    unsafe fn call_unchecked_slow<T>(
        &self,
        store: &mut StoreInner<T>,
        values: *mut ValRaw,
        len: usize,
    ) -> Result<()> {
        let ty = self.ty_ref(&store.opaque);
        let (need, nresults) = (
            ty.params().len().max(ty.results().len()),
            ty.results().len(),
        );
        if len < need {
            bail!("expected at least {need} value slots, got {len}");
        }
        // A host function takes a slice, which needs `ValRaw`'s alignment.
        if need == 0 {
            return self.call_raw(store, &mut []);
        }
        if values.is_aligned() {
            // SAFETY: the caller guarantees `len >= need` slots, aligned.
            let values = unsafe { std::slice::from_raw_parts_mut(values, need) };
            return self.call_raw(store, values);
        }
        let mut buf = std::mem::take(&mut store.opaque.call_buf);
        buf.clear();
        // SAFETY: `need` readable slots (caller's contract), unaligned.
        buf.extend((0..need).map(|i| unsafe { values.add(i).read_unaligned() }));
        let outcome = self.call_raw(store, &mut buf);
        for (i, v) in buf.iter().take(nresults).enumerate() {
            // SAFETY: as above, writable.
            unsafe { values.add(i).write_unaligned(*v) };
        }
        store.opaque.call_buf = buf;
        outcome
    }

    fn new_raw<T>(store: &mut StoreInner<T>, ty: FuncType, func: Box<HostFn<T>>) -> Func {
        let host = std::sync::Arc::new(HostFunc::new(&store.opaque.engine, ty, func));
        Func::from_host(store, host)
    }

    /// Registers a host function in `store`.
    pub(crate) fn from_host<T>(
        store: &mut StoreInner<T>,
        host: std::sync::Arc<HostFunc<T>>,
    ) -> Func {
        let ctx = host.ctx();
        let index = store.host_funcs.len() as u32;
        let (ty, type_id) = (host.ty.clone(), host.type_id);
        store.host_funcs.push(host);
        store
            .opaque
            .host_func_info
            .push(crate::store::HostFuncInfo {
                ty,
                func_ref: Box::new(VMFuncRef {
                    wasm_call: std::ptr::null(),
                    vmctx: ctx,
                    type_id,
                    kind: (KIND_HOST << KIND_TAG_SHIFT) | u64::from(index),
                }),
            });
        Func {
            store: store.opaque.id,
            kind: FuncKind::Host(index),
        }
    }

    /// The function a non-null `funcref` of store `store` points to.
    ///
    /// # Safety
    ///
    /// `func_ref` must point to a live `VMFuncRef` of that store.
    pub(crate) unsafe fn from_func_ref(store: u64, func_ref: *const VMFuncRef) -> Func {
        // SAFETY: the caller's contract.
        let r = unsafe { &*func_ref };
        let index = r.kind as u32;
        let kind = match r.kind >> KIND_TAG_SHIFT {
            KIND_HOST => FuncKind::Host(index),
            KIND_IMPORT => {
                let offset = ((r.kind >> 32) as u32 & 0x3fff_ffff) as usize;
                // SAFETY: an import-kind `VMFuncRef` sits `offset` bytes
                // into its instance's live VMContext.
                let instance = unsafe {
                    crate::vm::instance_index(func_ref.cast::<u8>().sub(offset).cast_mut())
                } as u32;
                FuncKind::Imported { instance, index }
            }
            _ => FuncKind::Wasm {
                // SAFETY: a defined function's `vmctx` is its instance's.
                instance: unsafe { crate::vm::instance_index(r.vmctx) } as u32,
                index,
            },
        };
        Func { store, kind }
    }

    /// The `funcref` value of this function.
    ///
    /// # Errors
    ///
    /// The wasm-to-host trampoline a host function needs fails to compile.
    pub(crate) fn func_ref(&self, store: &mut StoreOpaque) -> Result<*const VMFuncRef> {
        store.check(self.store);
        match self.kind {
            FuncKind::Host(i) => {
                // Borrowed apart: no handle to the engine is made (and
                // counted) on this path.
                let StoreOpaque {
                    engine,
                    host_func_info,
                    ..
                } = store;
                let info = &mut host_func_info[i as usize];
                if info.func_ref.wasm_call.is_null() {
                    info.func_ref.wasm_call = engine.host_trampoline(&info.ty)?;
                }
                Ok(&*info.func_ref)
            }
            FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } => {
                let inst = &store.instances[instance as usize];
                // SAFETY: the instance is live, with its imports written.
                Ok(unsafe {
                    crate::instance::func_ref_ptr(inst.vmctx.as_ptr(), &inst.module, index)
                })
            }
        }
    }

    /// The store id and a 64-bit encoding of the function, for handles
    /// kept outside Rust (the C API's `wasmtime_func_t`). The encoding is
    /// never 0.
    pub fn to_raw_parts(&self) -> (u64, u64) {
        let bits = match self.kind {
            FuncKind::Host(i) => (1 << 62) | u64::from(i),
            FuncKind::Wasm { instance, index } => {
                (2 << 62) | (u64::from(instance) << 32) | u64::from(index)
            }
            FuncKind::Imported { instance, index } => {
                (3 << 62) | (u64::from(instance) << 32) | u64::from(index)
            }
        };
        (self.store, bits)
    }

    /// The function of [`Func::to_raw_parts`]; `None` if `bits` is no such
    /// encoding. A handle naming nothing in its store panics when used.
    pub fn from_raw_parts(store: u64, bits: u64) -> Option<Func> {
        let low = bits as u32;
        let instance = ((bits >> 32) as u32) & ((1 << 30) - 1);
        let kind = match bits >> 62 {
            1 if bits >> 32 == 1 << 30 => FuncKind::Host(low),
            2 => FuncKind::Wasm {
                instance,
                index: low,
            },
            3 => FuncKind::Imported {
                instance,
                index: low,
            },
            _ => return None,
        };
        Some(Func { store, kind })
    }

    /// The raw `funcref` wasm sees for this function (a pointer to its
    /// `VMFuncRef`, valid as long as the store).
    ///
    /// # Errors
    ///
    /// The store cannot materialize the reference (out of memory).
    pub fn to_raw(&self, mut store: impl AsContextMut) -> Result<*mut u8> {
        let store = &mut store.as_context_mut().0.opaque;
        store.check(self.store);
        Ok(self.func_ref(store)?.cast_mut().cast())
    }

    /// The function a raw `funcref` of `store` points to.
    ///
    /// # Safety
    ///
    /// `raw` is null or a value [`Func::to_raw`] (or wasm) produced in
    /// this store.
    pub unsafe fn from_raw(store: impl AsContext, raw: *mut u8) -> Option<Func> {
        if raw.is_null() {
            return None;
        }
        let id = store.as_context().0.opaque.id;
        // SAFETY: the caller guarantees `raw` is one of this store's
        // `VMFuncRef`s.
        Some(unsafe { Func::from_func_ref(id, raw.cast_const().cast()) })
    }

    /// True if both handles name the same function.
    pub fn same(&self, other: &Func) -> bool {
        self.store == other.store && self.kind == other.kind
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let store = store.as_context();
        self.ty_opaque(&store.0.opaque)
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> FuncType {
        self.ty_ref(store).clone()
    }

    /// The function's type, borrowed from the store (no reference count
    /// touched: the call paths use this).
    pub(crate) fn ty_ref<'a>(&self, store: &'a StoreOpaque) -> &'a FuncType {
        store.check(self.store);
        match self.kind {
            FuncKind::Host(i) => &store.host_func_info[i as usize].ty,
            FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } => store
                .instances[instance as usize]
                .module
                .info()
                .func_type(index),
        }
    }

    /// The code and VMContext another module's import of this function
    /// calls; `host_trampoline` adapts host functions to the wasm
    /// calling convention.
    pub(crate) fn import_target(
        &self,
        store: &StoreOpaque,
        host_trampoline: *const u8,
    ) -> VMFuncImport {
        match self.kind {
            FuncKind::Host(i) => VMFuncImport {
                wasm_call: host_trampoline,
                vmctx: store.host_func_info[i as usize].func_ref.vmctx,
            },
            FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } => {
                store.instances[instance as usize].func_target(index)
            }
        }
    }

    /// Calls the function with dynamically typed arguments.
    ///
    /// # Errors
    ///
    /// Arguments of the wrong number or types, a `results` slice of the
    /// wrong length, or a trap (a [`Trap`](crate::Trap) error) or host error
    /// during the call.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = self.ty_ref(&store.opaque);
        if params.len() != ty.params().len() {
            bail!(
                "expected {} arguments, got {}",
                ty.params().len(),
                params.len()
            );
        }
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if p.ty() != *t {
                bail!("argument {i} has type {}, expected {t}", p.ty());
            }
        }
        if results.len() != ty.results().len() {
            bail!(
                "expected a results slice of length {}, got {}",
                ty.results().len(),
                results.len()
            );
        }
        let slots = ty.params().len().max(ty.results().len());
        let mut buf = std::mem::take(&mut store.opaque.call_buf);
        buf.clear();
        for p in params {
            match p.to_raw(&mut store.opaque) {
                Ok(raw) => buf.push(raw),
                Err(e) => {
                    store.opaque.call_buf = buf;
                    return Err(e);
                }
            }
        }
        buf.resize(slots, ValRaw::default());
        let outcome = self.call_raw(store, &mut buf);
        if outcome.is_ok() {
            let ty = self.ty_ref(&store.opaque);
            for ((r, raw), t) in results.iter_mut().zip(&buf).zip(ty.results()) {
                *r = Val::from_raw(&store.opaque, *raw, *t);
            }
        }
        store.opaque.call_buf = buf;
        outcome
    }

    /// Looks the function up for calls through raw slots, once: the
    /// function's type (to check and convert arguments with) and a
    /// [`ResolvedFunc`] to call it with. The fast path of C's
    /// `wasmtime_func_call`.
    ///
    /// # Panics
    ///
    /// The function is not of `store`.
    #[inline]
    pub fn resolve<'a>(&self, store: &'a impl AsContext) -> (ResolvedFunc, &'a FuncType) {
        let opaque = &store.as_context().0.opaque;
        opaque.check(self.store);
        let (entry, ty) = match self.kind {
            FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } => {
                let (entry, e, inst) = WasmEntry::new(opaque, instance, index);
                (Some(entry), &inst.module.info().types[e.ty as usize])
            }
            FuncKind::Host(i) => (None, &opaque.host_func_info[i as usize].ty),
        };
        let slots = ty.params().len().max(ty.results().len());
        let resolved = ResolvedFunc {
            func: *self,
            entry,
            slots,
        };
        (resolved, ty)
    }

    /// Calls with arguments and results in `values` (already type-checked;
    /// `values` holds at least max(params, results) slots).
    pub(crate) fn call_raw<T>(
        &self,
        store: &mut StoreInner<T>,
        values: &mut [ValRaw],
    ) -> Result<()> {
        match self.kind {
            FuncKind::Host(i) => {
                let func: *const HostFn<T> = &*store.host_funcs[i as usize].func;
                let caller = Caller {
                    store,
                    instance: None,
                };
                // SAFETY: host closures live in their own allocations, which
                // the store keeps until it is dropped.
                unsafe { (*func)(caller, values) }
            }
            FuncKind::Wasm { instance, index } | FuncKind::Imported { instance, index } => {
                let (entry, ..) = WasmEntry::new(&store.opaque, instance, index);
                // SAFETY: `values` holds enough slots of the right types
                // (caller's contract); `entry` is this function's.
                unsafe { entry.call(&mut store.opaque, values.as_mut_ptr()) }
            }
        }
    }

    /// A typed view of this function.
    ///
    /// # Errors
    ///
    /// `Params` or `Results` do not match the function's type.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>> {
        // Borrowed, not cloned: a clone would touch the type's reference
        // count, shared with every store instantiating the module.
        let ty = self.ty_ref(&store.as_context().0.opaque);
        let (mut params, mut results) = (Vec::new(), Vec::new());
        Params::push_types(&mut params);
        Results::push_types(&mut results);
        if params != ty.params() || results != ty.results() {
            bail!(
                "type mismatch: the function has type {ty}, not {}",
                FuncType::new(params, results)
            );
        }
        Ok(TypedFunc {
            func: *self,
            _ty: PhantomData,
        })
    }
}

/// Enters wasm function `index` of `instance`.
/// Everything a call of wasm function `index` of `instance` needs, read
/// from the instance and its module once.
#[derive(Clone, Copy)]
struct WasmEntry {
    trampoline: *const u8,
    callee: *const u8,
    vmctx: *mut u8,
    caller_vmctx: *mut u8,
}

impl WasmEntry {
    /// The entry of function `index` of `instance`, with the module's
    /// record of it (its type index and slot count) and the instance.
    #[inline]
    fn new(
        store: &StoreOpaque,
        instance: u32,
        index: u32,
    ) -> (WasmEntry, &FuncEntry, &crate::instance::InstanceData) {
        let inst = &store.instances[instance as usize];
        let (e, target) = inst.func_entry(index);
        let entry = WasmEntry {
            trampoline: e.array_call,
            callee: target.wasm_call,
            vmctx: target.vmctx,
            caller_vmctx: inst.vmctx.as_ptr(),
        };
        (entry, e, inst)
    }

    /// Calls with arguments and results in `values`.
    ///
    /// # Safety
    ///
    /// `values` holds max(params, results) slots, 8-byte aligned, the first
    /// ones the arguments of the function's parameter types; `self` was
    /// made from `store`.
    #[inline(always)]
    unsafe fn call(&self, store: &mut StoreOpaque, values: *mut ValRaw) -> Result<()> {
        let lookup: *const dyn CodeLookup = &*store;
        let store_ctx = store.vm_ptr();
        // SAFETY: the trampoline is the array trampoline of the callee's
        // type, `values` holds enough slots (caller's contract), and the
        // store (and so every module it registered) outlives the call.
        let r = unsafe {
            traphandlers::enter(
                lookup,
                store_ctx,
                store.max_wasm_stack,
                self.trampoline,
                self.callee,
                self.vmctx,
                self.caller_vmctx,
                values,
            )
        };
        r.map_err(|reason| trap::from_reason(store, reason))
    }
}

/// A function looked up for calls through raw slots ([`Func::resolve`]).
#[derive(Clone, Copy)]
pub struct ResolvedFunc {
    func: Func,
    entry: Option<WasmEntry>,
    /// Slots a call uses: max(params, results).
    slots: usize,
}

impl ResolvedFunc {
    /// Value slots a call uses: max(params, results).
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Calls the function with arguments and results in the slots at
    /// `values`: the arguments in the first ones, overwritten by the
    /// results.
    ///
    /// # Errors
    ///
    /// A trap or host error during the call.
    ///
    /// # Safety
    ///
    /// `values` points to [`ResolvedFunc::slots`] slots, 16-aligned, the
    /// first ones holding arguments of the parameter types (references
    /// only of this store); `store` is the store the function was resolved
    /// in.
    #[inline]
    pub unsafe fn call(&self, mut store: impl AsContextMut, values: *mut ValRaw) -> Result<()> {
        let store = store.as_context_mut().0;
        store.opaque.check(self.func.store);
        match self.entry {
            // SAFETY: the caller's contract; the store keeps every instance
            // (and so the entry's code and VMContexts) until it is dropped.
            Some(entry) => unsafe { entry.call(&mut store.opaque, values) },
            None => {
                let values = if self.slots == 0 {
                    &mut []
                } else {
                    // SAFETY: `slots` aligned, initialized slots (caller's
                    // contract).
                    unsafe { std::slice::from_raw_parts_mut(values, self.slots) }
                };
                self.func.call_raw(store, values)
            }
        }
    }
}

/// A function with a statically known type; calls do not allocate.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _ty: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

/// Most slots a typed call keeps on the stack before using the heap.
const INLINE_SLOTS: usize = 16;

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Calls the function.
    ///
    /// # Errors
    ///
    /// A trap (a [`Trap`](crate::Trap) error) or host error during the call.
    pub fn call(&self, mut store: impl AsContextMut, params: Params) -> Result<Results> {
        let store = store.as_context_mut().0;
        store.opaque.check(self.func.store);
        let slots = Params::COUNT.max(Results::COUNT);
        if slots <= INLINE_SLOTS {
            let mut buf = [ValRaw::default(); INLINE_SLOTS];
            params.store(&mut buf);
            self.func.call_raw(store, &mut buf)?;
            Ok(Results::load(&buf))
        } else {
            let mut buf = vec![ValRaw::default(); slots];
            params.store(&mut buf);
            self.func.call_raw(store, &mut buf)?;
            Ok(Results::load(&buf))
        }
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// A Rust type that is a wasm value type.
pub trait WasmTy: Copy + Send + 'static {
    /// The wasm type.
    const TYPE: ValType;
    /// To a raw slot.
    fn to_raw(self) -> ValRaw;
    /// From a raw slot.
    fn from_raw(raw: ValRaw) -> Self;
}

macro_rules! wasm_ty {
    ($($ty:ty => $vt:ident, $to:expr, $from:expr;)*) => {$(
        impl WasmTy for $ty {
            const TYPE: ValType = ValType::$vt;
            fn to_raw(self) -> ValRaw {
                ($to)(self)
            }
            fn from_raw(raw: ValRaw) -> Self {
                ($from)(raw)
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, |v: i32| ValRaw::from_u32(v as u32), |r: ValRaw| r.get_u32() as i32;
    u32 => I32, ValRaw::from_u32, |r: ValRaw| r.get_u32();
    i64 => I64, |v: i64| ValRaw::from_u64(v as u64), |r: ValRaw| r.get_u64() as i64;
    u64 => I64, ValRaw::from_u64, |r: ValRaw| r.get_u64();
    f32 => F32, |v: f32| ValRaw::from_u32(v.to_bits()), |r: ValRaw| f32::from_bits(r.get_u32());
    f64 => F64, |v: f64| ValRaw::from_u64(v.to_bits()), |r: ValRaw| f64::from_bits(r.get_u64());
}

/// A list of wasm values: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmList: Sized + Send + 'static {
    /// Number of values.
    const COUNT: usize;
    /// Appends the types.
    fn push_types(types: &mut Vec<ValType>);
    /// Writes the values into slots.
    fn store(self, slots: &mut [ValRaw]);
    /// Reads the values from slots.
    fn load(slots: &[ValRaw]) -> Self;
}

pub use WasmList as WasmParams;
pub use WasmList as WasmResults;

impl<A: WasmTy> WasmList for A {
    const COUNT: usize = 1;
    fn push_types(types: &mut Vec<ValType>) {
        types.push(A::TYPE);
    }
    fn store(self, slots: &mut [ValRaw]) {
        slots[0] = self.to_raw();
    }
    fn load(slots: &[ValRaw]) -> Self {
        A::from_raw(slots[0])
    }
}

macro_rules! wasm_list {
    ($n:expr; $($a:ident $i:tt),*) => {
        impl<$($a: WasmTy),*> WasmList for ($($a,)*) {
            const COUNT: usize = $n;
            #[allow(unused_variables)]
            fn push_types(types: &mut Vec<ValType>) {
                $(types.push($a::TYPE);)*
            }
            #[allow(unused_variables)]
            fn store(self, slots: &mut [ValRaw]) {
                $(slots[$i] = self.$i.to_raw();)*
            }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load(slots: &[ValRaw]) -> Self {
                ($($a::from_raw(slots[$i]),)*)
            }
        }
    };
}

wasm_list!(0;);
wasm_list!(1; A0 0);
wasm_list!(2; A0 0, A1 1);
wasm_list!(3; A0 0, A1 1, A2 2);
wasm_list!(4; A0 0, A1 1, A2 2, A3 3);
wasm_list!(5; A0 0, A1 1, A2 2, A3 3, A4 4);
wasm_list!(6; A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);
wasm_list!(7; A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6);
wasm_list!(8; A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7);

/// What a host closure may return: values, or a `Result` of them.
pub trait WasmRet {
    /// The value list.
    type Values: WasmList;
    /// Into a `Result`.
    fn into_result(self) -> Result<Self::Values>;
}

impl<R: WasmList> WasmRet for R {
    type Values = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmList> WasmRet for Result<R> {
    type Values = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// A Rust closure usable as a host function: see [`Func::wrap`].
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The wasm type and the array-call form of the closure.
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Box<HostFn<T>>);
}

/// The host function that calls `call` with the caller and the argument
/// slots and stores its results back into the slots.
fn host_fn_of<T, P: WasmList, R: WasmRet>(
    call: impl Fn(Caller<'_, T>, &[ValRaw]) -> R + Send + Sync + 'static,
) -> (FuncType, Box<HostFn<T>>) {
    let mut params = Vec::new();
    P::push_types(&mut params);
    let mut results = Vec::new();
    R::Values::push_types(&mut results);
    let raw = move |caller: Caller<'_, T>, values: &mut [ValRaw]| -> Result<()> {
        call(caller, values).into_result()?.store(values);
        Ok(())
    };
    (FuncType::new(params, results), Box::new(raw))
}

macro_rules! into_func {
    ($($a:ident $i:tt),*) => {
        impl<T, F, R, $($a: WasmTy),*> IntoFunc<T, ($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            fn into_func(self) -> (FuncType, Box<HostFn<T>>) {
                #[allow(unused_variables)]
                let call = move |_: Caller<'_, T>, values: &[ValRaw]| {
                    self($($a::from_raw(values[$i])),*)
                };
                host_fn_of::<T, ($($a,)*), R>(call)
            }
        }

        impl<T, F, R, $($a: WasmTy),*> IntoFunc<T, (Caller<'static, T>, $($a,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($a),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            fn into_func(self) -> (FuncType, Box<HostFn<T>>) {
                #[allow(unused_variables)]
                let call = move |caller: Caller<'_, T>, values: &[ValRaw]| {
                    self(caller, $($a::from_raw(values[$i])),*)
                };
                host_fn_of::<T, ($($a,)*), R>(call)
            }
        }
    };
}

into_func!();
into_func!(A0 0);
into_func!(A0 0, A1 1);
into_func!(A0 0, A1 1, A2 2);
into_func!(A0 0, A1 1, A2 2, A3 3);
into_func!(A0 0, A1 1, A2 2, A3 3, A4 4);
into_func!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);
into_func!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6);
into_func!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7);

/// The store and calling instance, as a host function sees them.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut StoreInner<T>,
    pub(crate) instance: Option<u32>,
}

impl<T> Caller<'_, T> {
    /// A shorter-lived caller over the same store.
    pub(crate) fn reborrow(&mut self) -> Caller<'_, T> {
        Caller {
            store: self.store,
            instance: self.instance,
        }
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.store.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// The engine.
    pub fn engine(&self) -> &kiln_engine::Engine {
        &self.store.opaque.engine
    }

    /// An export of the calling instance (none when called from the host).
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let instance = Instance {
            store: self.store.opaque.id,
            index: self.instance?,
        };
        instance.get_export(&mut *self, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}
