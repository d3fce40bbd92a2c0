//! `Extern` and the host-visible globals and memories.

use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, StoreOpaque};
use crate::values::Val;
use crate::vm::VMGlobalDefinition;
use crate::vm::ValRaw;
use crate::vm::memory::{LinearMemory, WASM_PAGE};
use crate::vm::table::TableData;
use anyhow::{Result, bail};
use kiln_engine::{ExternType, GlobalType, MemoryType, Mutability, TableType};
use std::any::Any;

/// Something an instance imports or exports.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A linear memory.
    Memory(Memory),
    /// A table.
    Table(Table),
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

    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The type.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        self.ty_opaque(&store.as_context().0.opaque)
    }

    /// The type the item was created or declared with: as [`Extern::ty`],
    /// but memories and tables report their initial minimum, not their
    /// current size (what Wasmtime's API reports).
    pub fn declared_ty(&self, store: impl AsContext) -> ExternType {
        let store = &store.as_context().0.opaque;
        match self {
            Extern::Memory(m) => ExternType::Memory(m.get(store).declared_ty()),
            Extern::Table(t) => ExternType::Table(t.data(store).declared_ty()),
            other => other.ty_opaque(store),
        }
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty_opaque(store)),
            Extern::Global(g) => ExternType::Global(g.ty_opaque(store)),
            Extern::Memory(m) => ExternType::Memory(m.get(store).ty()),
            Extern::Table(t) => ExternType::Table(t.data(store).ty()),
        }
    }

    /// The id of the store the item belongs to.
    pub fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store,
            Extern::Global(g) => g.store,
            Extern::Memory(m) => m.store,
            Extern::Table(t) => t.store,
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

impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
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
    /// The store id and three words naming the global, for handles kept
    /// outside Rust (the C API's `wasmtime_global_t`).
    pub fn to_raw_parts(&self) -> (u64, [u32; 3]) {
        let words = match self.kind {
            GlobalKind::Host(i) => [1, i, 0],
            GlobalKind::Instance { instance, index } => [2, instance, index],
        };
        (self.store, words)
    }

    /// The global of [`Global::to_raw_parts`]; `None` if `words` is no
    /// such encoding. A handle naming nothing in its store panics when used.
    pub fn from_raw_parts(store: u64, words: [u32; 3]) -> Option<Global> {
        let kind = match words {
            [1, i, 0] => GlobalKind::Host(i),
            [2, instance, index] => GlobalKind::Instance { instance, index },
            _ => return None,
        };
        Some(Global { store, kind })
    }

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
        let raw = value.to_raw(store)?;
        store.globals.push(crate::store::HostGlobal {
            ty,
            def: Box::new(VMGlobalDefinition(raw)),
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
        Val::from_raw(store, raw, ty.content())
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
        let raw = value.to_raw(store)?;
        // SAFETY: the definition is live storage of this store, and the
        // exclusive borrow of the store makes this the only access.
        unsafe { (*self.definition(store)).0 = raw };
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
    /// The store id and index, for handles kept outside Rust (the C API).
    pub fn to_raw_parts(&self) -> (u64, u32) {
        (self.store, self.index)
    }

    /// The memory of [`Memory::to_raw_parts`]. A handle naming nothing
    /// in its store panics when used.
    pub fn from_raw_parts(store: u64, index: u32) -> Memory {
        Memory { store, index }
    }

    /// Creates a host memory.
    ///
    /// # Errors
    ///
    /// The type exceeds the engine's limits, or address space is exhausted.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let store = &mut store.as_context_mut().0.opaque;
        store.check_new_items(1, 0)?;
        store.check_memory_size(ty.minimum().saturating_mul(WASM_PAGE))?;
        let memory = LinearMemory::new(ty, store.engine.config(), None, None)?;
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

    /// The type the memory was created or declared with (its minimum is
    /// the initial size, not the current one; see [`Memory::ty`]).
    pub fn declared_ty(&self, store: impl AsContext) -> MemoryType {
        self.get(&store.as_context().0.opaque).declared_ty()
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
        let memory = &store.memories[self.index as usize];
        store.check_memory_size(
            memory
                .pages()
                .saturating_add(delta)
                .saturating_mul(WASM_PAGE),
        )?;
        match store.memories[self.index as usize].grow(delta) {
            Some(old) => Ok(old),
            None => bail!("failed to grow memory by {delta} pages"),
        }
    }
}

/// A table of references. A small `Copy` handle.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Table {
    /// The store id and index, for handles kept outside Rust (the C API).
    pub fn to_raw_parts(&self) -> (u64, u32) {
        (self.store, self.index)
    }

    /// The table of [`Table::to_raw_parts`]. A handle naming nothing
    /// in its store panics when used.
    pub fn from_raw_parts(store: u64, index: u32) -> Table {
        Table { store, index }
    }

    /// Creates a host table of type `ty` with every element `init`.
    ///
    /// # Errors
    ///
    /// `init` is not of the element type, or the table is too large.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let store = &mut store.as_context_mut().0.opaque;
        if init.ty() != ty.element() {
            bail!(
                "table of {} cannot hold a value of type {}",
                ty.element(),
                init.ty()
            );
        }
        store.check_new_items(0, 1)?;
        store.check_table_size(ty.minimum())?;
        let init = init.to_raw(store)?.get_u64() as usize;
        store.tables.push(TableData::new(ty, Some(init), None)?);
        Ok(Table {
            store: store.id,
            index: store.tables.len() as u32 - 1,
        })
    }

    fn data<'a>(&self, store: &'a StoreOpaque) -> &'a TableData {
        store.check(self.store);
        &store.tables[self.index as usize]
    }

    /// The type, with the current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        self.data(&store.as_context().0.opaque).ty()
    }

    /// The type the table was created or declared with (its minimum is
    /// the initial size, not the current one; see [`Table::ty`]).
    pub fn declared_ty(&self, store: impl AsContext) -> TableType {
        self.data(&store.as_context().0.opaque).declared_ty()
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.data(&store.as_context().0.opaque).size() as u64
    }

    /// Element `index`, or `None` past the end.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Val> {
        let store = &mut store.as_context_mut().0.opaque;
        store.check(self.store);
        let table = &mut store.tables[self.index as usize];
        let raw = table.get(usize::try_from(index).ok()?)?;
        let element = table.ty().element();
        Some(Val::from_raw(store, ValRaw::from_u64(raw as u64), element))
    }

    /// Sets element `index`.
    ///
    /// # Errors
    ///
    /// `index` is past the end, or `value` has the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let element = self.data(store).ty().element();
        if value.ty() != element {
            bail!(
                "table of {element} cannot hold a value of type {}",
                value.ty()
            );
        }
        let raw = value.to_raw(store)?.get_u64() as usize;
        let table = &mut store.tables[self.index as usize];
        match usize::try_from(index) {
            Ok(i) if table.set(i, raw) => Ok(()),
            _ => bail!("table index {index} out of bounds"),
        }
    }

    /// Grows by `delta` elements set to `init`, returning the old size.
    ///
    /// # Errors
    ///
    /// The new size exceeds the maximum, or `init` has the wrong type.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let store = &mut store.as_context_mut().0.opaque;
        let element = self.data(store).ty().element();
        if init.ty() != element {
            bail!(
                "table of {element} cannot hold a value of type {}",
                init.ty()
            );
        }
        let raw = init.to_raw(store)?.get_u64() as usize;
        let size = store.tables[self.index as usize].size() as u64;
        store.check_table_size(size.saturating_add(delta))?;
        match store.tables[self.index as usize].grow(delta, raw) {
            Some(old) => Ok(old),
            None => bail!("failed to grow table by {delta} elements"),
        }
    }
}

/// Host data behind an `externref`.
pub(crate) struct ExternRefData {
    data: Box<dyn Any + Send + Sync>,
}

/// A reference to host data, passed to wasm as an `externref`. A small
/// `Copy` handle; the data lives as long as the store.
///
/// In wasm (and in raw values) a reference is its index in the store plus
/// one, so 0 stays the null reference and the value fits 32 bits, as
/// Wasmtime's C API expects of a raw `externref`.
#[derive(Clone, Copy, Debug)]
pub struct ExternRef {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl ExternRef {
    /// Wraps `data` in a new reference.
    ///
    /// # Panics
    ///
    /// The store already holds `u32::MAX - 1` references.
    pub fn new(mut store: impl AsContextMut, data: impl Any + Send + Sync) -> ExternRef {
        let store = &mut store.as_context_mut().0.opaque;
        let index = u32::try_from(store.externrefs.len())
            .ok()
            .filter(|i| *i < u32::MAX - 1)
            .expect("too many externrefs in one store");
        store.externrefs.push(ExternRefData {
            data: Box::new(data),
        });
        ExternRef {
            store: store.id,
            index,
        }
    }

    /// The host data.
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<StoreContext<'a, T>>,
    ) -> &'a (dyn Any + Send + Sync) {
        let store = &store.into().0.opaque;
        store.check(self.store);
        &*store.externrefs[self.index as usize].data
    }

    /// True if both handles name the same reference.
    pub fn same(&self, other: &ExternRef) -> bool {
        self.store == other.store && self.index == other.index
    }

    /// The raw value wasm sees: never 0 (0 is the null reference).
    pub fn to_raw(&self, store: impl AsContext) -> u32 {
        store.as_context().0.opaque.check(self.store);
        self.encode()
    }

    /// The reference a non-zero raw value of `store` stands for; `None`
    /// for 0 or a value that names no reference of the store.
    pub fn from_raw(store: impl AsContext, raw: u32) -> Option<ExternRef> {
        let store = &store.as_context().0.opaque;
        ExternRef::decode(store.id, raw).filter(|e| (e.index as usize) < store.externrefs.len())
    }

    /// The raw encoding: the store index plus one, so 0 stays null.
    pub(crate) fn encode(&self) -> u32 {
        self.index + 1
    }

    /// The reference of store `store` that `raw` encodes (`None` for 0);
    /// the index is not checked.
    pub(crate) fn decode(store: u64, raw: u32) -> Option<ExternRef> {
        let index = raw.checked_sub(1)?;
        Some(ExternRef { store, index })
    }

    /// The store id and index, for handles kept outside Rust (the C API).
    pub fn to_raw_parts(&self) -> (u64, u32) {
        (self.store, self.index)
    }

    /// The reference of [`ExternRef::to_raw_parts`]. A wrong store id or
    /// index panics when the handle is used.
    pub fn from_raw_parts(store: u64, index: u32) -> ExternRef {
        ExternRef { store, index }
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

impl<'a, T> From<&'a StoreContextMut<'_, T>> for StoreContext<'a, T> {
    fn from(ctx: &'a StoreContextMut<'_, T>) -> Self {
        StoreContext(ctx.0)
    }
}

impl<'a, T> From<&'a mut StoreContextMut<'_, T>> for StoreContext<'a, T> {
    fn from(ctx: &'a mut StoreContextMut<'_, T>) -> Self {
        StoreContext(ctx.0)
    }
}

impl<'a, T> From<&'a mut StoreContextMut<'_, T>> for StoreContextMut<'a, T> {
    fn from(ctx: &'a mut StoreContextMut<'_, T>) -> Self {
        StoreContextMut(ctx.0)
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
