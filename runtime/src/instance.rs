//! `Instance`: a module instantiated in a store — its VMContext filled from
//! the imports, its memories and globals created, its data segments
//! copied and its start function run.

use crate::externals::{Extern, Global, GlobalKind, Memory, Table};
use crate::func::{Func, FuncKind, TypedFunc, WasmParams, WasmResults};
use crate::store::{AsContextMut, StoreOpaque};
use crate::trap::Trap;
use crate::vm::Unowned;
use crate::vm::alloc::{MemoryImage, allocator_of};
use crate::vm::{VMContextBox, VMFuncImport, VMFuncRef, VMGlobalDefinition, ValRaw};
use anyhow::{Result, anyhow, bail};
use kiln_engine::module_info::{ConstExpr, SegmentMode, TableInit};
use kiln_engine::vm_layout::VMOffsets;
use kiln_engine::{Engine, EntityIndex, ExternType, FuncEntry, MemoryType, Module, TrapCode};
use smallvec::SmallVec;

/// An instance of a module in a store. A small `Copy` handle.
#[derive(Clone, Copy, Debug)]
pub struct Instance {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps of an instance.
pub(crate) struct InstanceData {
    /// Not counted: the store keeps the module registered
    /// (`StoreOpaque::modules`) and drops its instances first.
    pub module: std::mem::ManuallyDrop<Module>,
    pub vmctx: VMContextBox,
    /// The functions and globals passed as imports, for re-export.
    pub imported_funcs: Box<[Func]>,
    pub imported_globals: Box<[Global]>,
    /// Store index of each memory, imported ones first.
    pub memories: SmallVec<[u32; 2]>,
    /// Store index of each table, imported ones first.
    pub tables: SmallVec<[u32; 2]>,
    /// Element segments dropped (by `elem.drop`, or after instantiation).
    pub dropped_elems: SmallVec<[bool; 16]>,
    /// Data segments dropped (by `data.drop`, or after instantiation).
    pub dropped_data: SmallVec<[bool; 16]>,
    /// What the instance's imports point into that the store does not own
    /// (the host functions of the `InstancePre` it came from).
    pub _keepalive: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        // Every instance in a store was counted by the engine's allocator.
        if let Ok(allocator) = allocator_of(self.module.engine()) {
            allocator.release_instance();
        }
    }
}

/// One resolved, type-checked import.
#[derive(Clone, Copy)]
pub(crate) enum Import {
    /// An item of the store.
    Extern(Extern),
    /// A store-independent host function: its context pointer.
    HostFunc(*mut u8),
}

// SAFETY: a `HostFunc` context is an immutable `HostFunc<T>`, whose closure
// is `Send + Sync`; the pointer is only dereferenced by compiled code of a
// store that keeps the function alive.
unsafe impl Send for Import {}
// SAFETY: as above; an `Import` is only read.
unsafe impl Sync for Import {}

impl InstanceData {
    /// The code and VMContext a call of function `index` enters: the
    /// module's own code, or what the import was bound to.
    #[inline]
    pub(crate) fn func_target(&self, index: u32) -> VMFuncImport {
        self.func_entry(index).1
    }

    /// Function `index`'s entry in the module (its trampoline, type and
    /// slot count) and the code and VMContext a call of it enters.
    #[inline]
    pub(crate) fn func_entry(&self, index: u32) -> (&FuncEntry, VMFuncImport) {
        let e = &self.module.func_entries()[index as usize];
        let target = if e.wasm_call.is_null() {
            // SAFETY: every imported function's slot was written at
            // instantiation, with a `VMFuncImport`.
            unsafe { self.vmctx.read(self.module.offsets().imported_func(index)) }
        } else {
            VMFuncImport {
                wasm_call: e.wasm_call,
                vmctx: self.vmctx.as_ptr(),
            }
        };
        (e, target)
    }

    /// The raw reference an element-segment item evaluates to.
    pub fn elem_item(&self, item: ConstExpr) -> usize {
        eval_const(&self.vmctx, &self.module, item)
            .expect("element items are references")
            .get_u64() as usize
    }
}

impl Instance {
    /// Instantiates `module` with `imports`, given 1:1 in the order of
    /// `module.imports()`, and runs its start function.
    ///
    /// # Errors
    ///
    /// A module compiled for another target ([`kiln_engine::Config::target`]),
    /// a wrong number of imports, an import of the wrong type or from
    /// another store (a link error naming the import and both types), a
    /// resource limit, or a trap (a [`Trap`]) in a data segment or the
    /// start function.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let opaque = &mut store.opaque;
        if !Engine::same(&opaque.engine, module.engine()) {
            bail!("the module was compiled by a different engine than the store's");
        }
        module.engine().ensure_native("instantiate the module")?;
        let info = module.info();
        if imports.len() != info.imports.len() {
            bail!(
                "expected {} imports, found {}",
                info.imports.len(),
                imports.len()
            );
        }
        let mut resolved = Vec::with_capacity(imports.len());
        for (import, ext) in info.imports.iter().zip(imports) {
            if ext.store_id() != opaque.id {
                bail!(
                    "import `{}::{}` belongs to a different store",
                    import.module,
                    import.name
                );
            }
            check_import_type(
                import,
                &info.entity_type(import.index),
                &ext.ty_opaque(opaque),
            )?;
            resolved.push(Import::Extern(*ext));
        }
        Instance::new_resolved(store, module, &resolved, None)
    }

    /// Instantiates with imports already resolved and type-checked, and
    /// runs the start function.
    pub(crate) fn new_resolved<T>(
        store: &mut crate::store::StoreInner<T>,
        module: &Module,
        imports: &[Import],
        keepalive: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
    ) -> Result<Instance> {
        let instance = instantiate(&mut store.opaque, module, imports, keepalive)?;
        if let Some(start) = module.info().start {
            let func = Func {
                store: store.opaque.id,
                kind: FuncKind::Wasm {
                    instance: instance.index,
                    index: start,
                },
            };
            func.call_raw(store, &mut [ValRaw::default()])?;
        }
        Ok(instance)
    }

    fn data<'a>(&self, store: &'a StoreOpaque) -> &'a InstanceData {
        store.check(self.store);
        &store.instances[self.index as usize]
    }

    /// The store id and index, for handles kept outside Rust (the C API).
    pub fn to_raw_parts(&self) -> (u64, u32) {
        (self.store, self.index)
    }

    /// The instance of [`Instance::to_raw_parts`]. A handle naming nothing
    /// in its store panics when used.
    pub fn from_raw_parts(store: u64, index: u32) -> Instance {
        Instance { store, index }
    }

    /// The id of the store this instance belongs to.
    pub fn store_id(&self) -> u64 {
        self.store
    }

    /// The module this is an instance of.
    pub fn module<'a, T: 'a>(&self, store: impl Into<crate::StoreContext<'a, T>>) -> &'a Module {
        &self.data(&store.into().0.opaque).module
    }

    /// The export called `name`.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        let store = &store.as_context_mut().0.opaque;
        let data = self.data(store);
        let export = data.module.info().export(name)?;
        Some(self.extern_of(store, export.index))
    }

    /// The export at `index` (in the module's export order), with its
    /// name.
    pub fn export_nth<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
        index: usize,
    ) -> Option<(&'a str, Extern)> {
        let store = &store.into().0.opaque;
        let export = self.data(store).module.info().exports.get(index)?;
        Some((export.name.as_str(), self.extern_of(store, export.index)))
    }

    fn extern_of(&self, store: &StoreOpaque, index: EntityIndex) -> Extern {
        let data = self.data(store);
        let info = data.module.info();
        match index {
            EntityIndex::Func(i) if info.is_imported_func(i) => {
                Extern::Func(data.imported_funcs[i as usize])
            }
            EntityIndex::Func(i) => Extern::Func(Func {
                store: self.store,
                kind: FuncKind::Wasm {
                    instance: self.index,
                    index: i,
                },
            }),
            EntityIndex::Global(i) if i < info.num_imported_globals => {
                Extern::Global(data.imported_globals[i as usize])
            }
            EntityIndex::Global(i) => Extern::Global(Global {
                store: self.store,
                kind: GlobalKind::Instance {
                    instance: self.index,
                    index: i,
                },
            }),
            EntityIndex::Memory(i) => Extern::Memory(Memory {
                store: self.store,
                index: data.memories[i as usize],
            }),
            EntityIndex::Table(i) => Extern::Table(Table {
                store: self.store,
                index: data.tables[i as usize],
            }),
        }
    }

    /// All exports, in order.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let store = &store.as_context_mut().0.opaque;
        let data = self.data(store);
        data.module
            .info()
            .exports
            .iter()
            .map(|e| (e.name.clone(), self.extern_of(store, e.index)))
            .collect()
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name`, typed.
    ///
    /// # Errors
    ///
    /// No such function export, or its type differs.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>> {
        let func = self
            .get_func(&mut store, name)
            .ok_or_else(|| anyhow!("failed to find function export `{name}`"))?;
        func.typed(&store)
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }
}

/// Do limits `actual` satisfy import limits `expected`?
fn limits_match(actual: (u64, Option<u64>), expected: (u64, Option<u64>)) -> bool {
    actual.0 >= expected.0
        && match expected.1 {
            None => true,
            Some(emax) => actual.1.is_some_and(|amax| amax <= emax),
        }
}

fn memory_matches(actual: &MemoryType, expected: &MemoryType) -> bool {
    limits_match(
        (actual.minimum(), actual.maximum()),
        (expected.minimum(), expected.maximum()),
    )
}

/// Checks that an item of type `actual` can be imported as `import`,
/// whose type is `expected`.
pub(crate) fn check_import_type(
    import: &kiln_engine::module_info::Import,
    expected: &ExternType,
    actual: &ExternType,
) -> Result<()> {
    let matches = match (expected, actual) {
        (ExternType::Memory(e), ExternType::Memory(a)) => memory_matches(a, e),
        (ExternType::Table(e), ExternType::Table(a)) => {
            e.element() == a.element()
                && limits_match((a.minimum(), a.maximum()), (e.minimum(), e.maximum()))
        }
        (e, a) => e == a,
    };
    if !matches {
        bail!(
            "incompatible import type for `{}::{}`: expected {expected}, found {actual}",
            import.module,
            import.name
        );
    }
    Ok(())
}

/// Everything but the start function; `imports` are resolved and
/// type-checked, 1:1 with the module's.
fn instantiate(
    store: &mut StoreOpaque,
    module: &Module,
    imports: &[Import],
    keepalive: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
) -> Result<Instance> {
    let info = module.info();
    debug_assert_eq!(imports.len(), info.imports.len());
    store.check_instance_limits(info)?;
    let offsets = module.offsets();
    let index = store.instances.len();
    let vmctx = VMContextBox::new(offsets, store.vm_ptr(), index);
    // SAFETY: `TYPE_IDS` is a pointer field; the array lives in the module,
    // which the instance keeps alive.
    unsafe { vmctx.write(VMOffsets::TYPE_IDS, module.type_ids().as_ptr()) };
    let mut tables = SmallVec::with_capacity(info.tables.len());
    let mut imported_funcs = Vec::with_capacity(info.num_imported_funcs as usize);
    let mut imported_globals = Vec::with_capacity(info.num_imported_globals as usize);
    let mut memories = SmallVec::with_capacity(info.memories.len());

    for (import, ext) in info.imports.iter().zip(imports) {
        match (import.index, ext) {
            (EntityIndex::Func(i), Import::HostFunc(ctx)) => {
                let trampoline = module.code().host_trampoline(info.funcs[i as usize]);
                let target = crate::vm::VMFuncImport {
                    wasm_call: trampoline,
                    vmctx: *ctx,
                };
                // SAFETY: `imported_func(i)` is a `VMFuncImport` field.
                unsafe { vmctx.write(offsets.imported_func(i), target) };
                imported_funcs.push(Func {
                    store: store.id,
                    kind: FuncKind::Imported {
                        instance: index as u32,
                        index: i,
                    },
                });
            }
            (EntityIndex::Func(i), Import::Extern(Extern::Func(f))) => {
                let trampoline = module.code().host_trampoline(info.funcs[i as usize]);
                let target = f.import_target(store, trampoline);
                // SAFETY: `imported_func(i)` is a `VMFuncImport` field.
                unsafe { vmctx.write(offsets.imported_func(i), target) };
                imported_funcs.push(*f);
            }
            (EntityIndex::Global(i), Import::Extern(Extern::Global(g))) => {
                let def = g.definition(store);
                // SAFETY: `imported_global(i)` is a pointer field.
                unsafe { vmctx.write(offsets.imported_global(i), def) };
                imported_globals.push(*g);
            }
            (EntityIndex::Memory(i), Import::Extern(Extern::Memory(m))) => {
                let def = store.memories[m.index as usize].definition();
                // SAFETY: `memory(i)` is a pointer field.
                unsafe { vmctx.write(offsets.memory(i), def) };
                memories.push(m.index);
            }
            (EntityIndex::Table(i), Import::Extern(Extern::Table(t))) => {
                let def = store.tables[t.index as usize].definition();
                // SAFETY: `table(i)` is a pointer field.
                unsafe { vmctx.write(offsets.table(i), def) };
                tables.push(t.index);
            }
            _ => unreachable!("import kinds were checked"),
        }
    }

    // Registered before anything is allocated: the store's memories and
    // tables point into the module (its image, its table images) without
    // counting it, which is valid while the store keeps it.
    store.register_module(module);
    let allocator = allocator_of(&store.engine)?;
    let mut image_mapped = false;
    for i in info.num_imported_memories..info.memories.len() as u32 {
        // The image, when there is one, is memory 0's.
        let image = if i == 0 {
            // SAFETY: the module (which owns its image) stays registered in
            // the store, which drops its memories before its modules.
            MemoryImage::of(module).map(|image| unsafe { Unowned::new(image) })
        } else {
            None
        };
        // SAFETY: the memory goes into the store, which drops its memories
        // before its engine (which owns the allocator).
        let mut memory = unsafe { allocator.allocate_memory(info.memories[i as usize], image)? };
        image_mapped |= memory.has_image();
        // SAFETY: `memory(i)` is a pointer field; the memory is boxed, so
        // the definition stays put when the box moves into the store.
        unsafe { vmctx.write(offsets.memory(i), memory.definition()) };
        memories.push(store.memories.len() as u32);
        store.memories.push(memory);
    }

    for i in info.num_imported_tables..info.tables.len() as u32 {
        let defined = i - info.num_imported_tables;
        let lazy = matches!(info.table_inits[defined as usize], TableInit::Lazy(_));
        // SAFETY: as for memories.
        let mut table = unsafe { allocator.allocate_table(info.tables[i as usize], lazy)? };
        if lazy {
            // SAFETY: the VMContext stays put, and the table is in its
            // store; if instantiation fails, the table is unreachable and
            // never materializes anything. The module is registered in the
            // store, which drops its tables before its modules.
            unsafe { table.set_lazy_init(vmctx.as_ptr(), module, defined) };
        }
        // SAFETY: `table(i)` is a pointer field; the table is boxed.
        unsafe { vmctx.write(offsets.table(i), table.definition()) };
        tables.push(store.tables.len() as u32);
        store.tables.push(table);
    }

    // Function references (`VMFuncRef`s) are written on first use, by
    // `func_ref_ptr`: instantiation cost does not grow with them.

    for i in info.num_imported_globals..info.globals.len() as u32 {
        let init = info.globals[i as usize]
            .init
            .expect("defined globals have initializers");
        let value = eval_const(&vmctx, module, init)?;
        let def = offsets.defined_global(i - info.num_imported_globals);
        // SAFETY: `defined_global` is a `VMGlobalDefinition` field.
        unsafe { vmctx.write(def, VMGlobalDefinition(value)) };
    }

    for (t, written) in info.tables_set_inline.iter().enumerate() {
        if *written {
            store.tables[tables[t] as usize].mark_written_inline();
        }
    }

    // Counted last, so that every earlier failure needs no release; the
    // instance's drop releases it.
    allocator.acquire_instance()?;
    store.instances.push(InstanceData {
        // SAFETY: registered in the store above; the store drops its
        // instances before its modules.
        module: unsafe { module.unowned() },
        vmctx,
        imported_funcs: imported_funcs.into(),
        imported_globals: imported_globals.into(),
        memories,
        tables,
        dropped_elems: smallvec::smallvec![false; info.elems.len()],
        dropped_data: smallvec::smallvec![false; info.data.len()],
        _keepalive: keepalive,
    });
    let instance = Instance {
        store: store.id,
        index: index as u32,
    };

    let StoreOpaque {
        instances,
        tables: store_tables,
        memories: store_memories,
        ..
    } = store;
    let data = instances.last_mut().expect("just pushed");
    for (i, seg) in info.elems.iter().enumerate() {
        if info.lazy_segment_table(seg).is_some() {
            // In the table's lazy image.
            data.dropped_elems[i] = true;
            continue;
        }
        let (table_index, offset) = match seg.mode {
            SegmentMode::Active { index, offset } => (index, offset),
            SegmentMode::Declared => {
                data.dropped_elems[i] = true;
                continue;
            }
            SegmentMode::Passive => continue,
        };
        let at = eval_const(&data.vmctx, module, offset)?.get_u32() as usize;
        let table = &mut store_tables[data.tables[table_index as usize] as usize];
        let values = seg.items.iter().map(|item| data.elem_item(item));
        if !table.write(at, values) {
            return Err(Trap::new(TrapCode::TableOutOfBounds).into());
        }
        data.dropped_elems[i] = true;
    }

    for (i, seg) in info.data.iter().enumerate() {
        let SegmentMode::Active { index, offset } = seg.mode else {
            continue;
        };
        // With the memory image mapped, every active segment is in place.
        if !image_mapped {
            let at = eval_const(&data.vmctx, module, offset)?.get_u32() as usize;
            let memory = &mut store_memories[data.memories[index as usize] as usize];
            let bytes = module.data_segment(i);
            let Some(dest) = memory.data_mut().get_mut(at..at + bytes.len()) else {
                return Err(Trap::new(TrapCode::MemoryOutOfBounds).into());
            };
            dest.copy_from_slice(bytes);
        }
        data.dropped_data[i] = true;
    }
    Ok(instance)
}

/// Evaluates a constant expression in the context of a new instance.
fn eval_const(vmctx: &VMContextBox, module: &Module, expr: ConstExpr) -> Result<ValRaw> {
    Ok(match expr {
        ConstExpr::I32(v) => ValRaw::from_u32(v as u32),
        ConstExpr::I64(v) => ValRaw::from_u64(v as u64),
        ConstExpr::F32(v) => ValRaw::from_u32(v),
        ConstExpr::F64(v) => ValRaw::from_u64(v),
        ConstExpr::RefNull => ValRaw::default(),
        ConstExpr::RefFunc(i) => {
            // SAFETY: `vmctx` is an instance of `module`, and the imported
            // function slots were written first.
            let func_ref = unsafe { func_ref_ptr(vmctx.as_ptr(), module, i) };
            ValRaw::from_u64(func_ref as u64)
        }
        ConstExpr::GlobalGet(i) => {
            // SAFETY: constant expressions may only read imported globals,
            // whose definition pointers were written above.
            unsafe {
                let def: *const VMGlobalDefinition =
                    vmctx.read(module.offsets().imported_global(i));
                (*def).0
            }
        }
        ConstExpr::V128(_) => {
            bail!("constant expression {expr:?} is not supported by this version of Kiln")
        }
    })
}

/// The `VMFuncRef` of function `func` of the instance of `module` whose
/// VMContext is `vmctx`, (re)written in its slot: function references are
/// written on first use rather than at instantiation, and writing one is
/// idempotent, so no "initialized" state is needed.
///
/// # Safety
///
/// `vmctx` must be the live VMContext of an instance of `module`, with
/// its imported function slots written; `func` must escape (have a slot).
pub(crate) unsafe fn func_ref_ptr(vmctx: *mut u8, module: &Module, func: u32) -> *mut VMFuncRef {
    let info = module.info();
    let offsets = module.offsets();
    let off = offsets
        .func_ref(func)
        .expect("functions that can be referenced have a funcref slot");
    let (target, kind) = if info.is_imported_func(func) {
        // SAFETY: the import slot is a written `VMFuncImport` (the
        // caller's contract).
        let target: crate::vm::VMFuncImport = unsafe {
            vmctx
                .add(offsets.imported_func(func) as usize)
                .cast::<crate::vm::VMFuncImport>()
                .read()
        };
        (target, crate::func::import_kind(off, func))
    } else {
        let target = crate::vm::VMFuncImport {
            wasm_call: module.code().func_ptr(func - info.num_imported_funcs),
            vmctx,
        };
        (target, crate::func::wasm_kind(func))
    };
    let func_ref = VMFuncRef {
        wasm_call: target.wasm_call,
        vmctx: target.vmctx,
        type_id: module.type_ids()[info.funcs[func as usize] as usize],
        kind,
    };
    // SAFETY: the slot is a `VMFuncRef` field inside the live VMContext.
    unsafe {
        let slot = vmctx.add(off as usize).cast::<VMFuncRef>();
        slot.write(func_ref);
        slot
    }
}
