//! `Module`: a validated, compiled WebAssembly module, shareable across
//! threads and stores.

use crate::Engine;
use crate::code::CodeImage;
use crate::module_info::{ModuleInfo, SegmentMode};
use crate::types::ExternType;
use crate::vm_layout::VMOffsets;
use anyhow::{Context as _, Result, bail};
use std::sync::Arc;

/// A compiled module. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    info: ModuleInfo,
    offsets: VMOffsets,
    code: CodeImage,
    /// The bytes of all data segments; `info.data[i].range` indexes here.
    data: Arc<DataBytes>,
    /// How `data` begins, if it begins with memory 0's image.
    image: Option<ImageLayout>,
    /// Engine type id of each type-section type.
    type_ids: Box<[u32]>,
    /// How to call each function from the host, by function index.
    func_entries: Box<[FuncEntry]>,
    /// State the runtime derives from the module once (its memory image).
    runtime_cache: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
}

/// Fails if the engine allocates instances from a pool and a module with
/// `info` and `offsets` is beyond the pool's per-module limits (so that it
/// fails when it is built, not each time it is instantiated).
pub(crate) fn check_pooling_limits(
    engine: &Engine,
    info: &ModuleInfo,
    offsets: &VMOffsets,
) -> Result<()> {
    let crate::InstanceAllocationStrategy::Pooling(p) = engine.config().get_allocation_strategy()
    else {
        return Ok(());
    };
    for (kind, kinds, defined, limit) in [
        (
            "memory",
            "memories",
            info.num_defined_memories(),
            p.get_max_memories_per_module(),
        ),
        (
            "table",
            "tables",
            info.num_defined_tables(),
            p.get_max_tables_per_module(),
        ),
    ] {
        if defined > limit {
            bail!(
                "module {kind} does not fit in pooling allocator requirements: defined {kinds} \
                 count of {defined} exceeds the per-instance limit of {limit}"
            );
        }
    }
    let size = offsets.size() as usize;
    if size > p.get_max_core_instance_size() {
        bail!(
            "instance allocation for this module requires {size} bytes which exceeds the \
             configured maximum of {} bytes (`max_core_instance_size`)",
            p.get_max_core_instance_size()
        );
    }
    Ok(())
}

/// What a host needs to call one function of a module, resolved once
/// when the module is built so a call does no table walks.
#[derive(Clone, Copy, Debug)]
pub struct FuncEntry {
    /// The array-call trampoline of the function's type.
    pub array_call: *const u8,
    /// The function's code, or null for an imported function (whose
    /// target is in each instance's VMContext).
    pub wasm_call: *const u8,
    /// Index of the function's type in the module's type section.
    pub ty: u32,
    /// Value slots a call needs: max(params, results).
    pub slots: u32,
}

// SAFETY: the pointers are addresses in the module's code image, which is
// immutable once built; sharing them between threads is like sharing the
// `CodeImage` itself.
unsafe impl Send for FuncEntry {}
// SAFETY: as above.
unsafe impl Sync for FuncEntry {}

impl FuncEntry {
    fn new(info: &ModuleInfo, code: &CodeImage, index: u32) -> FuncEntry {
        let ty = info.funcs[index as usize];
        let func_ty = &info.types[ty as usize];
        let wasm_call = if info.is_imported_func(index) {
            std::ptr::null()
        } else {
            code.func_ptr(index - info.num_imported_funcs)
        };
        FuncEntry {
            array_call: code.array_trampoline(ty),
            wasm_call,
            ty,
            slots: func_ty.params().len().max(func_ty.results().len()) as u32,
        }
    }
}

/// Where a module's data bytes live: in memory, or in the mapped file a
/// precompiled module was loaded from (so the runtime can map its memory
/// image straight from the file).
pub enum DataBytes {
    /// Owned bytes.
    Owned(Box<[u8]>),
    /// `range` of a read-only file mapping.
    Mapped(Arc<crate::serialize::FileMap>, std::ops::Range<usize>),
}

impl DataBytes {
    /// The file and the offset in it of the first data byte, if the bytes
    /// are a file's.
    pub fn file(&self) -> Option<(&std::fs::File, u64)> {
        match self {
            DataBytes::Owned(_) => None,
            DataBytes::Mapped(map, range) => Some((map.file(), range.start as u64)),
        }
    }
}

impl std::ops::Deref for DataBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            DataBytes::Owned(bytes) => bytes,
            DataBytes::Mapped(map, range) => &map.bytes()[range.clone()],
        }
    }
}

/// The first `len` data bytes of a module are memory 0's contents from
/// byte `memory_offset` on (both multiples of [`ImageLayout::PAGE`]); every
/// active data segment lies inside them, at its own offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLayout {
    /// Where the image starts in the memory.
    pub memory_offset: usize,
    /// Its length.
    pub len: usize,
}

impl ImageLayout {
    /// The alignment of image layouts in precompiled files.
    pub const PAGE: usize = 4096;

    /// The `page`-aligned layout covering the non-empty segments of
    /// `segments` (as from [`ModuleInfo::image_segments`]) of `info`;
    /// `None` if they hold no byte.
    pub fn covering(info: &ModuleInfo, segments: &[(usize, usize)], page: usize) -> Option<Self> {
        let extents = segments
            .iter()
            .map(|&(i, at)| (at, at + info.data[i].range.len()))
            .filter(|(s, e)| s < e);
        let (start, end) = extents.fold(None, |acc: Option<(usize, usize)>, (s, e)| {
            Some(acc.map_or((s, e), |(a, b)| (a.min(s), b.max(e))))
        })?;
        let memory_offset = start / page * page;
        Some(ImageLayout {
            memory_offset,
            len: end.div_ceil(page) * page - memory_offset,
        })
    }
}

/// An import of a module, as seen by an embedder.
#[derive(Clone, Debug)]
pub struct ImportType<'a> {
    module: &'a str,
    name: &'a str,
    ty: ExternType,
}

impl<'a> ImportType<'a> {
    /// The module name.
    pub fn module(&self) -> &'a str {
        self.module
    }

    /// The field name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The expected type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// An export of a module, as seen by an embedder.
#[derive(Clone, Debug)]
pub struct ExportType<'a> {
    name: &'a str,
    ty: ExternType,
}

impl<'a> ExportType<'a> {
    /// The export name.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The exported entity's type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

impl Module {
    /// Compiles a module from the binary or text format.
    ///
    /// # Errors
    ///
    /// Text that does not parse, or a binary that is malformed or invalid;
    /// the message gives the byte offset.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        let binary = wat::parse_bytes(bytes).context("failed to parse WebAssembly text")?;
        Module::from_binary(engine, &binary)
    }

    /// Compiles a module from the binary format.
    ///
    /// # Errors
    ///
    /// A malformed or invalid binary; the message gives the byte offset.
    pub fn from_binary(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        if let Some(dir) = engine.config().cache_dir.as_deref() {
            return crate::serialize::cached(engine, dir, wasm, || {
                Module::compile_binary(engine, wasm)
            });
        }
        Module::compile_binary(engine, wasm)
    }

    fn compile_binary(engine: &Engine, wasm: &[u8]) -> Result<Module> {
        let (mut info, bodies) = ModuleInfo::parse(wasm, engine.config().wasm_features())
            .map_err(|e| unsupported_note(engine, e))?;
        let offsets = VMOffsets::new(&info);
        check_pooling_limits(engine, &info, &offsets)?;
        let (code, tables_set_inline) = crate::compile::compile(engine, &info, &offsets, bodies)?;
        info.tables_set_inline = tables_set_inline;
        let mut data = Vec::new();
        for seg in &mut info.data {
            let start = data.len();
            data.extend_from_slice(&wasm[seg.range.clone()]);
            seg.range = start..data.len();
        }
        let data = Arc::new(DataBytes::Owned(data.into()));
        Ok(Module::from_parts(engine, info, offsets, code, data, None))
    }

    /// Assembles a module from its compiled (or deserialized) parts.
    pub(crate) fn from_parts(
        engine: &Engine,
        info: ModuleInfo,
        offsets: VMOffsets,
        code: CodeImage,
        data: Arc<DataBytes>,
        image: Option<ImageLayout>,
    ) -> Module {
        crate::perfmap::register(engine, &info, &code);
        let type_ids = info.types.iter().map(|t| engine.type_id(t)).collect();
        let func_entries = (0..info.funcs.len() as u32)
            .map(|index| FuncEntry::new(&info, &code, index))
            .collect();
        Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                offsets,
                code,
                data,
                image,
                type_ids,
                func_entries,
                runtime_cache: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The bytes of all data segments, as indexed by `info().data[i].range`.
    pub fn data_bytes(&self) -> &Arc<DataBytes> {
        &self.inner.data
    }

    /// Writes the `segments` (as from [`ModuleInfo::image_segments`]), in
    /// order, into `image`, which holds memory 0 from byte `memory_offset`
    /// on (and covers every non-empty segment).
    pub fn write_image(&self, segments: &[(usize, usize)], image: &mut [u8], memory_offset: usize) {
        for &(i, at) in segments {
            let bytes = self.data_segment(i);
            if bytes.is_empty() {
                continue;
            }
            let start = at - memory_offset;
            image[start..start + bytes.len()].copy_from_slice(bytes);
        }
    }

    /// If the data bytes begin with the page-aligned image of memory 0
    /// (as in modules loaded from a precompiled file), where it goes.
    pub fn image_layout(&self) -> Option<ImageLayout> {
        self.inner.image
    }

    /// Approximately how many bytes the compiled module keeps alive: its
    /// code, its data segments and its lazy table images.
    pub fn approximate_size(&self) -> usize {
        let tables: usize = self
            .inner
            .info
            .table_inits
            .iter()
            .map(|t| match t {
                crate::module_info::TableInit::Lazy(image) => image.len() * 4,
                crate::module_info::TableInit::Eager => 0,
            })
            .sum();
        self.inner.code.range().len() + self.inner.data.len() + tables
    }

    /// Validates a binary without compiling it.
    ///
    /// # Errors
    ///
    /// The binary is malformed or invalid.
    pub fn validate(engine: &Engine, wasm: &[u8]) -> Result<()> {
        wasmparser::Validator::new_with_features(engine.config().wasm_features())
            .validate_all(wasm)
            .map_err(|e| unsupported_note(engine, e.into()))?;
        Ok(())
    }

    /// State the runtime derives from this module once (its memory image).
    #[doc(hidden)]
    pub fn runtime_cache(&self) -> &std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>> {
        &self.inner.runtime_cache
    }

    /// The engine that compiled this module.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> {
        let info = &self.inner.info;
        info.imports.iter().map(|i| ImportType {
            module: &i.module,
            name: &i.name,
            ty: info.entity_type(i.index),
        })
    }

    /// The exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> {
        let info = &self.inner.info;
        info.exports.iter().map(|e| ExportType {
            name: &e.name,
            ty: info.entity_type(e.index),
        })
    }

    /// Everything known about the module but its code.
    #[inline]
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The VMContext layout of this module's instances.
    #[inline]
    pub fn offsets(&self) -> &VMOffsets {
        &self.inner.offsets
    }

    /// The compiled code.
    #[inline]
    pub fn code(&self) -> &CodeImage {
        &self.inner.code
    }

    /// The contents of data segment `i`.
    pub fn data_segment(&self, i: usize) -> &[u8] {
        &self.inner.data[self.inner.info.data[i].range.clone()]
    }

    /// How to call each function from the host, by function index.
    #[inline]
    pub fn func_entries(&self) -> &[FuncEntry] {
        &self.inner.func_entries
    }

    /// Engine type id of each type-section type.
    pub fn type_ids(&self) -> &[u32] {
        &self.inner.type_ids
    }

    /// A handle to this module that is not counted: making it and dropping
    /// it (it is never dropped: `ManuallyDrop`) write no reference count,
    /// which threads instantiating the same module would all contend on.
    ///
    /// # Safety
    ///
    /// Another handle to the module must outlive every use of the result.
    pub unsafe fn unowned(&self) -> std::mem::ManuallyDrop<Module> {
        let ptr = Arc::as_ptr(&self.inner);
        // SAFETY: `ptr` came from a live `Arc`; the result is never
        // dropped, so the count it does not hold is never decremented, and
        // the caller keeps another handle alive while it is used.
        let inner = unsafe { Arc::from_raw(ptr) };
        std::mem::ManuallyDrop::new(Module { inner })
    }

    /// True if both handles refer to the same compiled module.
    pub fn same(a: &Module, b: &Module) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// How many handles to the compiled module exist (the runtime's per-thread
    /// anchors let go of one that nothing else holds).
    #[doc(hidden)]
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// True if the module has any active data segment (for allocators that
    /// want to skip initialization).
    pub fn has_active_data(&self) -> bool {
        self.inner
            .info
            .data
            .iter()
            .any(|d| matches!(d.mode, SegmentMode::Active { .. }))
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish()
    }
}

/// Adds to a validation error that the configuration asked for proposals
/// Kiln does not implement, when it did.
fn unsupported_note(engine: &Engine, error: anyhow::Error) -> anyhow::Error {
    let asked = &engine.config().unsupported_proposals;
    if asked.is_empty() {
        return error;
    }
    error.context(format!(
        "the configuration enables proposals Kiln does not implement: {}",
        asked.join(", ")
    ))
}
