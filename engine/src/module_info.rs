//! `ModuleInfo`: everything about a module except its code, gathered in one
//! validating pass over the binary.
//!
//! Invariants: index spaces put imports first (`funcs[..num_imported_funcs]`
//! are the imported functions, and likewise for globals, memories, tables);
//! every index stored here was checked by the validator.

use crate::types::{EntityIndex, ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};
use anyhow::{Context as _, Result, bail};
use std::collections::HashMap;
use wasmparser::{
    FuncToValidate, FunctionBody, Parser, Payload, ValidPayload, Validator, ValidatorResources,
    WasmFeatures,
};

/// A constant expression, as used by global initializers and segment offsets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstExpr {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const`, as bits.
    F32(u32),
    /// `f64.const`, as bits.
    F64(u64),
    /// `v128.const`, as bits.
    V128(u128),
    /// `ref.null`.
    RefNull,
    /// `ref.func`.
    RefFunc(u32),
    /// `global.get` of an imported global.
    GlobalGet(u32),
}

impl ConstExpr {
    fn parse(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
        use wasmparser::Operator as O;
        let mut reader = expr.get_operators_reader();
        let value = match reader.read()? {
            O::I32Const { value } => ConstExpr::I32(value),
            O::I64Const { value } => ConstExpr::I64(value),
            O::F32Const { value } => ConstExpr::F32(value.bits()),
            O::F64Const { value } => ConstExpr::F64(value.bits()),
            O::V128Const { value } => ConstExpr::V128(u128::from_le_bytes(*value.bytes())),
            O::RefNull { .. } => ConstExpr::RefNull,
            O::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            O::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            op => bail!("unsupported constant expression operator {op:?}"),
        };
        match reader.read()? {
            O::End => Ok(value),
            op => bail!("unsupported constant expression operator {op:?}"),
        }
    }
}

/// One import of a module.
#[derive(Clone, Debug)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// The entity it defines, as an index into its index space.
    pub index: EntityIndex,
}

/// One export of a module.
#[derive(Clone, Debug)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// The exported entity.
    pub index: EntityIndex,
}

/// A global: its type and, for defined globals, its initializer.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    /// The global's type.
    pub ty: GlobalType,
    /// The initializer (`None` for imported globals).
    pub init: Option<ConstExpr>,
}

/// Where an element or data segment goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SegmentMode {
    /// Copied into the table or memory at instantiation.
    Active {
        /// Table or memory index.
        index: u32,
        /// Offset expression.
        offset: ConstExpr,
    },
    /// Available to `table.init` / `memory.init`.
    Passive,
    /// Only declares functions referenceable by `ref.func`.
    Declared,
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// Active, passive or declared.
    pub mode: SegmentMode,
    /// The element type.
    pub ty: ValType,
    /// The items.
    pub items: ElemItems,
}

/// The items of an element segment: a plain list of functions (the common
/// case, and the long one: compact to keep, serialize and load), or one
/// constant expression per item (`RefFunc`, `RefNull` or `GlobalGet`).
#[derive(Clone, Debug)]
pub enum ElemItems {
    /// `ref.func` of each function index.
    Funcs(Box<[u32]>),
    /// Any constant expressions.
    Exprs(Box<[ConstExpr]>),
}

impl ElemItems {
    /// Chooses the compact form when every item is a `ref.func`.
    pub fn new(items: Vec<ConstExpr>) -> ElemItems {
        let funcs: Option<Box<[u32]>> = items
            .iter()
            .map(|item| match item {
                ConstExpr::RefFunc(f) => Some(*f),
                _ => None,
            })
            .collect();
        match funcs {
            Some(funcs) => ElemItems::Funcs(funcs),
            None => ElemItems::Exprs(items.into()),
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        match self {
            ElemItems::Funcs(f) => f.len(),
            ElemItems::Exprs(e) => e.len(),
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items in `range` (which must be in bounds), as expressions.
    pub fn range(&self, range: std::ops::Range<usize>) -> ElemItemsIter<'_> {
        match self {
            ElemItems::Funcs(f) => ElemItemsIter::Funcs(f[range].iter()),
            ElemItems::Exprs(e) => ElemItemsIter::Exprs(e[range].iter()),
        }
    }

    /// Every item, as an expression.
    pub fn iter(&self) -> ElemItemsIter<'_> {
        self.range(0..self.len())
    }
}

/// An iterator over [`ElemItems`], as expressions.
pub enum ElemItemsIter<'a> {
    /// Over a function list.
    Funcs(std::slice::Iter<'a, u32>),
    /// Over expressions.
    Exprs(std::slice::Iter<'a, ConstExpr>),
}

impl Iterator for ElemItemsIter<'_> {
    type Item = ConstExpr;

    #[inline]
    fn next(&mut self) -> Option<ConstExpr> {
        match self {
            ElemItemsIter::Funcs(f) => f.next().map(|&f| ConstExpr::RefFunc(f)),
            ElemItemsIter::Exprs(e) => e.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ElemItemsIter::Funcs(f) => f.size_hint(),
            ElemItemsIter::Exprs(e) => e.size_hint(),
        }
    }
}

impl ExactSizeIterator for ElemItemsIter<'_> {}

/// How a defined table gets its elements at instantiation.
#[derive(Clone, Debug, PartialEq)]
pub enum TableInit {
    /// Lazily: the table starts with every element uninitialized, and
    /// element `i` becomes, on first access, function `funcs[i]` (null
    /// for [`TableInit::NULL`] and past the end). Chosen for `funcref`
    /// tables whose active segments all have constant, in-bounds offsets
    /// and `ref.func`/`ref.null` items, so instantiation cost does not
    /// grow with the table.
    Lazy(Box<[u32]>),
    /// Eagerly: filled with null, then the active segments are applied
    /// in order at instantiation (and may trap).
    Eager,
}

impl TableInit {
    /// The entry of a [`TableInit::Lazy`] image that stands for null.
    pub const NULL: u32 = u32::MAX;
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataSegment {
    /// Active or passive.
    pub mode: SegmentMode,
    /// Byte range of the contents within the module's binary.
    pub range: std::ops::Range<usize>,
}

/// Modules with at most this many exports find one by comparing names in
/// turn (most differ in length), which is cheaper than hashing the name;
/// export names are unique.
const EXPORTS_SCANNED: usize = 32;

/// Everything about a module but its function bodies.
#[derive(Debug, Default)]
pub struct ModuleInfo {
    /// The module's name from the name section.
    pub name: Option<String>,
    /// The type section's function types.
    pub types: Vec<FuncType>,
    /// Type index of every function, imports first.
    pub funcs: Vec<u32>,
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Every global, imports first.
    pub globals: Vec<Global>,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Every memory, imports first.
    pub memories: Vec<MemoryType>,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Every table, imports first.
    pub tables: Vec<TableType>,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Imports in order.
    pub imports: Vec<Import>,
    /// Exports in order.
    pub exports: Vec<Export>,
    /// Export name -> position in `exports`, for modules with more than
    /// `EXPORTS_SCANNED` exports (empty otherwise); see `ModuleInfo::index_exports`.
    pub export_map: HashMap<String, usize>,
    /// The start function.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// Function names from the name section.
    pub func_names: FuncNames,
    /// Functions referenced outside of calls (exports, elements, `ref.func`),
    /// which need a function reference in the VMContext.
    pub escaping_funcs: Vec<bool>,
    /// How each defined table is initialized (indexed by defined table).
    pub table_inits: Vec<TableInit>,
    /// The tables (imported or defined) that compiled code writes with
    /// inline stores (`table.set`); known once the module is compiled.
    pub tables_set_inline: Vec<bool>,
    /// Byte offset in the module of each defined function's body.
    pub func_body_offsets: Vec<u32>,
}

/// Function names, in one string: cheap to build, to serialize and to
/// load however many functions are named.
#[derive(Debug, Default, Clone)]
pub struct FuncNames {
    text: String,
    /// (function index, start, end in `text`), sorted by function index
    /// once [`FuncNames::finish`] ran; a later name for the same index
    /// replaces an earlier one.
    entries: Vec<(u32, u32, u32)>,
}

impl FuncNames {
    /// Records `name` for function `index`.
    pub(crate) fn insert(&mut self, index: u32, name: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(name);
        self.entries.push((index, start, self.text.len() as u32));
    }

    /// Sorts by function index, keeping the last name given to each.
    pub(crate) fn finish(&mut self) {
        // Stable, so equal indices keep their order and the last is kept.
        self.entries.sort_by_key(|e| e.0);
        let mut out: Vec<(u32, u32, u32)> = Vec::with_capacity(self.entries.len());
        for e in self.entries.drain(..) {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        self.entries = out;
    }

    /// The name of function `index`, if it has one.
    pub fn get(&self, index: u32) -> Option<&str> {
        let i = self.entries.binary_search_by_key(&index, |e| e.0).ok()?;
        let (_, start, end) = self.entries[i];
        self.text.get(start as usize..end as usize)
    }

    /// The names as (function index, name) pairs, by index.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.entries
            .iter()
            .map(|&(i, s, e)| (i, &self.text[s as usize..e as usize]))
    }

    /// The raw parts, for serialization: the text and the entries.
    pub(crate) fn parts(&self) -> (&str, &[(u32, u32, u32)]) {
        (&self.text, &self.entries)
    }

    /// Rebuilds names from [`FuncNames::parts`], checking every range lies
    /// on character boundaries of `text` and indices are sorted.
    pub(crate) fn from_parts(text: String, entries: Vec<(u32, u32, u32)>) -> Option<FuncNames> {
        let ok = entries.windows(2).all(|w| w[0].0 < w[1].0)
            && entries
                .iter()
                .all(|&(_, s, e)| s <= e && text.get(s as usize..e as usize).is_some());
        ok.then_some(FuncNames { text, entries })
    }
}

/// A function body waiting for validation and translation.
pub(crate) struct FunctionInput<'a> {
    pub validator: FuncToValidate<ValidatorResources>,
    pub body: FunctionBody<'a>,
}

/// The feature set Kiln accepts: WebAssembly 2.0 without 128-bit SIMD.
pub(crate) fn features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

impl ModuleInfo {
    /// The type of function `index`.
    #[inline]
    pub fn func_type(&self, index: u32) -> &FuncType {
        &self.types[self.funcs[index as usize] as usize]
    }

    /// True if function `index` is imported.
    #[inline]
    pub fn is_imported_func(&self, index: u32) -> bool {
        index < self.num_imported_funcs
    }

    /// Number of functions defined (not imported) by the module.
    pub fn num_defined_funcs(&self) -> u32 {
        self.funcs.len() as u32 - self.num_imported_funcs
    }

    /// Number of defined globals.
    pub fn num_defined_globals(&self) -> u32 {
        self.globals.len() as u32 - self.num_imported_globals
    }

    /// Number of defined memories.
    pub fn num_defined_memories(&self) -> u32 {
        self.memories.len() as u32 - self.num_imported_memories
    }

    /// Number of defined tables.
    pub fn num_defined_tables(&self) -> u32 {
        self.tables.len() as u32 - self.num_imported_tables
    }

    /// The type of an entity.
    pub fn entity_type(&self, index: EntityIndex) -> ExternType {
        match index {
            EntityIndex::Func(i) => ExternType::Func(self.func_type(i).clone()),
            EntityIndex::Global(i) => ExternType::Global(self.globals[i as usize].ty),
            EntityIndex::Memory(i) => ExternType::Memory(self.memories[i as usize]),
            EntityIndex::Table(i) => ExternType::Table(self.tables[i as usize]),
        }
    }

    /// Looks an export up by name.
    pub fn export(&self, name: &str) -> Option<&Export> {
        if self.exports.len() <= EXPORTS_SCANNED {
            return self.exports.iter().find(|e| e.name == name);
        }
        self.export_map.get(name).map(|&i| &self.exports[i])
    }

    /// Builds `export_map` from `exports`, when there are enough exports
    /// for hashing a name to beat comparing it with each.
    pub(crate) fn index_exports(&mut self) {
        self.export_map = if self.exports.len() > EXPORTS_SCANNED {
            (self.exports.iter().enumerate())
                .map(|(i, e)| (e.name.clone(), i))
                .collect()
        } else {
            HashMap::new()
        };
    }

    /// Validates `wasm` and gathers its `ModuleInfo` and function bodies.
    ///
    /// # Errors
    ///
    /// A malformed or invalid module; the message names the problem and its
    /// byte offset.
    pub(crate) fn parse(
        wasm: &[u8],
        features: WasmFeatures,
    ) -> Result<(ModuleInfo, Vec<FunctionInput<'_>>)> {
        let mut validator = Validator::new_with_features(features);
        let mut info = ModuleInfo::default();
        let mut bodies = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload?;
            if let ValidPayload::Func(validator, body) = validator.payload(&payload)? {
                info.func_body_offsets.push(body.range().start as u32);
                bodies.push(FunctionInput { validator, body });
                continue;
            }
            info.section(payload, wasm)?;
        }
        info.func_names.finish();
        info.escaping_funcs = vec![false; info.funcs.len()];
        // Imported functions always get a `funcref` slot: the host can
        // name them through the importing instance.
        for i in 0..info.num_imported_funcs {
            info.escaping_funcs[i as usize] = true;
        }
        for export in &info.exports {
            if let EntityIndex::Func(i) = export.index {
                info.escaping_funcs[i as usize] = true;
            }
        }
        let mut mark = |e: &ConstExpr| {
            if let ConstExpr::RefFunc(i) = e {
                info.escaping_funcs[*i as usize] = true;
            }
        };
        for g in &info.globals {
            g.init.iter().for_each(&mut mark);
        }
        for seg in &info.elems {
            seg.items.iter().for_each(|e| mark(&e));
        }
        // `ref.func` in code may only name functions declared above (by
        // validation), so no body needs scanning.
        info.table_inits = info.compute_table_inits();
        Ok((info, bodies))
    }

    /// The active data segments as `(segment index, byte offset in memory
    /// 0)`, if memory 0 is the module's own and every active segment goes
    /// into it at a constant offset within its minimum size (so that
    /// instantiation cannot trap on data): the segments a memory image can
    /// hold. `None` otherwise.
    pub fn image_segments(&self) -> Option<Vec<(usize, usize)>> {
        if self.num_imported_memories != 0 || self.memories.is_empty() {
            return None;
        }
        let min_len = self.memories[0].minimum().saturating_mul(65536);
        let mut out = Vec::new();
        for (i, seg) in self.data.iter().enumerate() {
            let SegmentMode::Active { index, offset } = seg.mode else {
                continue;
            };
            let ConstExpr::I32(at) = offset else {
                return None;
            };
            let start = u64::from(at as u32);
            if index != 0 || start + seg.range.len() as u64 > min_len {
                return None;
            }
            out.push((i, start as usize));
        }
        Some(out)
    }

    /// The defined table an active element segment initializes lazily
    /// (through [`TableInit::Lazy`]) rather than at instantiation.
    pub fn lazy_segment_table(&self, segment: &ElemSegment) -> Option<u32> {
        let SegmentMode::Active { index, .. } = segment.mode else {
            return None;
        };
        let defined = index.checked_sub(self.num_imported_tables)?;
        matches!(self.table_inits[defined as usize], TableInit::Lazy(_)).then_some(defined)
    }

    /// Folds the active segments of each defined `funcref` table into a
    /// lazy-initialization image where every segment allows it.
    fn compute_table_inits(&self) -> Vec<TableInit> {
        let defined = &self.tables[self.num_imported_tables as usize..];
        let mut images: Vec<Option<Vec<u32>>> = defined
            .iter()
            .map(|t| (t.element() == ValType::FuncRef).then(Vec::new))
            .collect();
        for seg in &self.elems {
            let SegmentMode::Active { index, offset } = seg.mode else {
                continue;
            };
            let Some(d) = index.checked_sub(self.num_imported_tables) else {
                continue;
            };
            let d = d as usize;
            let Some(image) = images[d].as_mut() else {
                continue;
            };
            let items: Option<Vec<u32>> = seg
                .items
                .iter()
                .map(|item| match item {
                    ConstExpr::RefFunc(f) => Some(f),
                    ConstExpr::RefNull => Some(TableInit::NULL),
                    _ => None,
                })
                .collect();
            let start = match offset {
                ConstExpr::I32(o) => Some(u64::from(o as u32)),
                _ => None,
            };
            match (start, items) {
                (Some(start), Some(items))
                    if start + items.len() as u64 <= defined[d].minimum() =>
                {
                    let start = start as usize;
                    let end = start + items.len();
                    if image.len() < end {
                        image.resize(end, TableInit::NULL);
                    }
                    image[start..end].copy_from_slice(&items);
                }
                // Computed offsets, global items, or a segment that traps:
                // applied at instantiation, in order.
                _ => images[d] = None,
            }
        }
        images
            .into_iter()
            .map(|image| match image {
                Some(image) => TableInit::Lazy(image.into()),
                None => TableInit::Eager,
            })
            .collect()
    }

    fn section(&mut self, payload: Payload<'_>, wasm: &[u8]) -> Result<()> {
        match payload {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let params = ty.params().iter().map(|t| ValType::from_wasmparser(*t));
                    let results = ty.results().iter().map(|t| ValType::from_wasmparser(*t));
                    self.types.push(FuncType::new(
                        params.collect::<Result<Vec<_>>>()?,
                        results.collect::<Result<Vec<_>>>()?,
                    ));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let index = match import.ty {
                        wasmparser::TypeRef::Func(ty) => {
                            self.funcs.push(ty);
                            self.num_imported_funcs += 1;
                            EntityIndex::Func(self.funcs.len() as u32 - 1)
                        }
                        wasmparser::TypeRef::Global(ty) => {
                            self.globals.push(Global {
                                ty: global_type(&ty)?,
                                init: None,
                            });
                            self.num_imported_globals += 1;
                            EntityIndex::Global(self.globals.len() as u32 - 1)
                        }
                        wasmparser::TypeRef::Memory(ty) => {
                            self.memories.push(MemoryType::from_wasmparser(&ty));
                            self.num_imported_memories += 1;
                            EntityIndex::Memory(self.memories.len() as u32 - 1)
                        }
                        wasmparser::TypeRef::Table(ty) => {
                            self.tables.push(TableType::from_wasmparser(&ty)?);
                            self.num_imported_tables += 1;
                            EntityIndex::Table(self.tables.len() as u32 - 1)
                        }
                        other => bail!("unsupported import kind {other:?}"),
                    };
                    self.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.funcs.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    if !matches!(table.init, wasmparser::TableInit::RefNull) {
                        bail!("table initializer expressions are not supported");
                    }
                    self.tables.push(TableType::from_wasmparser(&table.ty)?);
                }
            }
            Payload::MemorySection(reader) => {
                check_memory_limits(wasm, reader.range())?;
                for memory in reader {
                    self.memories.push(MemoryType::from_wasmparser(&memory?));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    self.globals.push(Global {
                        ty: global_type(&global.ty)?,
                        init: Some(ConstExpr::parse(&global.init_expr)?),
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        wasmparser::ExternalKind::Func => EntityIndex::Func(export.index),
                        wasmparser::ExternalKind::Global => EntityIndex::Global(export.index),
                        wasmparser::ExternalKind::Memory => EntityIndex::Memory(export.index),
                        wasmparser::ExternalKind::Table => EntityIndex::Table(export.index),
                        other => bail!("unsupported export kind {other:?}"),
                    };
                    self.exports.push(Export {
                        name: export.name.to_string(),
                        index,
                    });
                }
                self.index_exports();
            }
            Payload::StartSection { func, .. } => self.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let mode = match elem.kind {
                        wasmparser::ElementKind::Passive => SegmentMode::Passive,
                        wasmparser::ElementKind::Declared => SegmentMode::Declared,
                        wasmparser::ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: table_index.unwrap_or(0),
                            offset: ConstExpr::parse(&offset_expr)?,
                        },
                    };
                    let (ty, items) = match elem.items {
                        wasmparser::ElementItems::Functions(funcs) => (
                            ValType::FuncRef,
                            funcs
                                .into_iter()
                                .map(|f| Ok(ConstExpr::RefFunc(f?)))
                                .collect::<Result<Vec<_>>>()?,
                        ),
                        wasmparser::ElementItems::Expressions(ty, exprs) => (
                            ValType::from_wasmparser(wasmparser::ValType::Ref(ty))?,
                            exprs
                                .into_iter()
                                .map(|e| ConstExpr::parse(&e?))
                                .collect::<Result<Vec<_>>>()?,
                        ),
                    };
                    self.elems.push(ElemSegment {
                        mode,
                        ty,
                        items: ElemItems::new(items),
                    });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: ConstExpr::parse(&offset_expr)?,
                        },
                    };
                    let start = data.data.as_ptr() as usize - wasm.as_ptr() as usize;
                    self.data.push(DataSegment {
                        mode,
                        range: start..start + data.data.len(),
                    });
                }
            }
            Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                    // A malformed name section is ignored, as the spec requires.
                    let _ = self.names(names);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn names(&mut self, reader: wasmparser::NameSectionReader<'_>) -> Result<()> {
        for name in reader {
            match name.context("name section")? {
                wasmparser::Name::Module { name, .. } => self.name = Some(name.to_string()),
                wasmparser::Name::Function(map) => {
                    for naming in map {
                        let naming = naming?;
                        self.func_names.insert(naming.index, naming.name);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn global_type(ty: &wasmparser::GlobalType) -> Result<GlobalType> {
    Ok(GlobalType::new(
        ValType::from_wasmparser(ty.content_type)?,
        if ty.mutable {
            crate::types::Mutability::Var
        } else {
            crate::types::Mutability::Const
        },
    ))
}

/// Rejects memory limits whose LEB128 encoding is longer than a `u32`'s.
///
/// Without memory64, limits are `u32`s, and the specification requires an
/// overlong encoding to be malformed; `wasmparser` reads every limit as a
/// `u64`, so the memory section is read once more, strictly.
fn check_memory_limits(wasm: &[u8], range: std::ops::Range<u64>) -> Result<()> {
    let bytes = &wasm[range.start as usize..range.end as usize];
    let mut reader = wasmparser::BinaryReader::new(bytes, range.start);
    let count = reader.read_var_u32()?;
    for _ in 0..count {
        let flags = reader.read_u8()?;
        if flags & 0x04 != 0 {
            // A 64-bit memory: the validator rejects it with a better message.
            return Ok(());
        }
        reader.read_var_u32()?;
        if flags & 0x01 != 0 {
            reader.read_var_u32()?;
        }
    }
    Ok(())
}
