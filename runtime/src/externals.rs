//! `Extern` and the host-visible globals and memories.

use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, StoreOpaque};
use crate::values::Val;
use crate::vm::VMGlobalDefinition;
use crate::vm::memory::LinearMemory;
use anyhow::{Result, bail};
use kiln_engine::{ExternType, GlobalType, MemoryType, Mutability};

/// Something an instance imports or exports.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A linear memory.
    Memory(Memory),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The type.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        self.ty_opaque(&store.as_context().0.opaque)
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty_opaque(store)),
            Extern::Global(g) => ExternType::Global(g.ty_opaque(store)),
            Extern::Memory(m) => {
                store.check(m.store);
                ExternType::Memory(store.memories[m.index as usize].ty())
            }
        }
    }

    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store,
            Extern::Global(g) => g.store,
            Extern::Memory(m) => m.store,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

/// A global variable. A small `Copy` handle.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    pub(crate) store: u64,
    pub(crate) kind: GlobalKind,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum GlobalKind {
    /// Index into the store's host globals.
    Host(u32),
    /// Global `index` (a defined one, in the module's global space) of an instance.
    Instance { instance: u32, index: u32 },
}

impl Global {
    /// Creates a host global.
    ///
    /// # Errors
    ///
    /// `value` is not of the global's content type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let store = &mut store.as_context_mut().0.opaque;
        if value.ty() != ty.content() {
            bail!(
                "global of type {ty} cannot hold a value of type {}",
                value.ty()
            );
        }
        store.globals.push(crate::store::HostGlobal {
            ty,
            def: Box::new(VMGlobalDefinition(value.to_raw())),
        });
        Ok(Global {
            store: store.id,
            kind: GlobalKind::Host(store.globals.len() as u32 - 1),
        })
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> GlobalType {
        store.check(self.store);
        match self.kind {
            GlobalKind::Host(i) => store.globals[i as usize].ty,
            GlobalKind::Instance { instance, index } => {
                store.instances[instance as usize].module.info().globals[index as usize].ty
            }
        }
    }

    /// Where the value lives.
    pub(crate) fn definition(&self, store: &StoreOpaque) -> *mut VMGlobalDefinition {
        store.check(self.store);
        match self.kind {
            GlobalKind::Host(i) => {
                let def: *const VMGlobalDefinition = &*store.globals[i as usize].def;
                def.cast_mut()
            }
            GlobalKind::Instance { instance, index } => {
                let inst = &store.instances[instance as usize];
                let info = inst.module.info();
                let off = inst
                    .module
                    .offsets()
                    .defined_global(index - info.num_imported_globals);
                // SAFETY: the offset is inside the VMContext allocation.
                unsafe { inst.vmctx.as_ptr().add(off as usize).cast() }
            }
        }
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        self.ty_opaque(&store.as_context().0.opaque)
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let store = &store.as_context().0.opaque;
        let ty = self.ty_opaque(store);
        // SAFETY: the definition is live storage of this store.
        let raw = unsafe { (*self.definition(store)).0 };
        Val::from_raw(raw, ty.content())
    }

    /// Sets the value.
    ///
    /// # Errors
    ///
    /// The global is immutable, or `value` has the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let ty = self.ty_opaque(store);
        if ty.mutability() != Mutability::Var {
            bail!("immutable global cannot be set");
        }
        if value.ty() != ty.content() {
            bail!(
                "global of type {ty} cannot hold a value of type {}",
                value.ty()
            );
        }
        // SAFETY: the definition is live storage of this store, and the
        // exclusive borrow of the store makes this the only access.
        unsafe { (*self.definition(store)).0 = value.to_raw() };
        Ok(())
    }
}

/// A linear memory. A small `Copy` handle.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Memory {
    /// Creates a host memory.
    ///
    /// # Errors
    ///
    /// The type exceeds the engine's limits, or address space is exhausted.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let store = &mut store.as_context_mut().0.opaque;
        let memory = LinearMemory::new(ty, store.engine.config())?;
        store.memories.push(memory);
        Ok(Memory {
            store: store.id,
            index: store.memories.len() as u32 - 1,
        })
    }

    fn get<'a>(&self, store: &'a StoreOpaque) -> &'a LinearMemory {
        store.check(self.store);
        &store.memories[self.index as usize]
    }

    /// The type, with the current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        self.get(&store.as_context().0.opaque).ty()
    }

    /// The contents.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        self.get(&store.into().0.opaque).data()
    }

    /// The contents, writable.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let store = &mut store.into().0.opaque;
        store.check(self.store);
        store.memories[self.index as usize].data_mut()
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.get(&store.as_context().0.opaque).pages()
    }

    /// Grows by `delta` pages, returning the old size.
    ///
    /// # Errors
    ///
    /// The new size exceeds the maximum.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let store = &mut store.as_context_mut().0.opaque;
        store.check(self.store);
        match store.memories[self.index as usize].grow(delta) {
            Some(old) => Ok(old),
            None => bail!("failed to grow memory by {delta} pages"),
        }
    }
}

impl<'a, T> From<&'a crate::Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a crate::Store<T>) -> Self {
        StoreContext(&store.inner)
    }
}

impl<'a, T> From<&'a mut crate::Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a mut crate::Store<T>) -> Self {
        StoreContext(&store.inner)
    }
}

impl<'a, T> From<&'a mut crate::Store<T>> for StoreContextMut<'a, T> {
    fn from(store: &'a mut crate::Store<T>) -> Self {
        StoreContextMut(&mut store.inner)
    }
}

impl<'a, T> From<&'a crate::Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a crate::Caller<'_, T>) -> Self {
        StoreContext(caller.store)
    }
}

impl<'a, T> From<&'a mut crate::Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a mut crate::Caller<'_, T>) -> Self {
        StoreContext(caller.store)
    }
}

impl<'a, T> From<&'a mut crate::Caller<'_, T>> for StoreContextMut<'a, T> {
    fn from(caller: &'a mut crate::Caller<'_, T>) -> Self {
        StoreContextMut(caller.store)
    }
}
