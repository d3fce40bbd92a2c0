//! Precompiled modules: the byte format [`Module::serialize`] writes and
//! [`Module::deserialize`] reads back.
//!
//! Layout (little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic, [`MAGIC`] |
//! | 8..12 | format version, [`FORMAT_VERSION`] |
//! | 12..16 | CRC-32 of every byte from offset 24 to the end |
//! | 16..24 | total length in bytes |
//! | 24.. | Kiln version, target triple, hash of the compilation settings, the settings themselves, then the module: its description, its code image with the image's tables, and its data segments |
//!
//! Loading checks, in order: the magic, the format version, the length
//! (truncation), the checksum (corruption), then the Kiln version, the
//! target and the settings, each mismatch with an error that names it.
//! After that, every index and offset the runtime will use is checked
//! against the sizes it indexes, so bytes that passed the checksum but
//! were not written by this code still fail cleanly in nearly every case;
//! deliberately crafted bytes with a valid checksum can still describe
//! machine code that does anything, which is why deserialization is
//! `unsafe` (as in Wasmtime).

use crate::code::{CodeImage, CodeTables, InlineFrame};
use crate::mapping::FileMapping;
use crate::module::{DataBytes, ImageLayout};
use crate::module_info::{
    ConstExpr, DataSegment, ElemItems, ElemSegment, Export, Global, Import, ModuleInfo,
    SegmentMode, TableInit,
};
use crate::types::{EntityIndex, FuncType, GlobalType, MemoryType, Mutability, TableType, ValType};
use crate::vm_layout::VMOffsets;
use crate::{Engine, Module, TrapCode};
use anyhow::{Context as _, Result, anyhow, bail, ensure};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The first eight bytes of every serialized module.
pub(crate) const MAGIC: &[u8; 8] = b"\0kilnmod";
/// Bumped whenever the layout changes, or what compiled code must do
/// (4: functions that write a memory set its `written` flag).
pub(crate) const FORMAT_VERSION: u32 = 4;
/// The Kiln version that writes and accepts serialized modules.
pub(crate) const KILN_VERSION: &str = env!("CARGO_PKG_VERSION");
const FIXED_HEADER: usize = 24;

/// True if `bytes` start like a serialized module (and not like wasm).
pub fn is_serialized(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

impl Module {
    /// The module's compiled form, for [`Module::deserialize`] on an
    /// engine with the same configuration, Kiln version and target.
    ///
    /// # Errors
    ///
    /// None today; the signature leaves room for modules that cannot be
    /// serialized.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let engine = self.engine();
        let mut w = Writer(Vec::with_capacity(
            self.code().bytes().len() + self.data_bytes().len() + 4096,
        ));
        w.0.extend_from_slice(MAGIC);
        w.u32(FORMAT_VERSION);
        w.u32(0); // checksum, filled in below
        w.u64(0); // length, filled in below
        w.str(KILN_VERSION);
        w.str(&engine.isa().triple().to_string());
        w.0.extend_from_slice(engine.settings_hash());
        let settings = engine.compilation_settings();
        w.len(settings.len());
        for (name, value) in settings {
            w.str(name);
            w.str(value);
        }
        let (blob, ranges) = data_blob(self);
        write_info(&mut w, self.info(), &ranges);
        let code = self.code();
        write_code_tables(&mut w, code.tables());
        // Code and data each start on a page of the file, so that loading
        // from a file maps them instead of copying.
        w.aligned_bytes(code.bytes());
        w.aligned_bytes(&blob);
        let mut bytes = w.0;
        let total = bytes.len() as u64;
        bytes[16..24].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&bytes[FIXED_HEADER..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
        Ok(bytes)
    }

    /// Loads a module from [`Module::serialize`]'s (or
    /// [`Engine::precompile_module`]'s) bytes, without compiling.
    ///
    /// # Errors
    ///
    /// The bytes are not a serialized module, are truncated or corrupted,
    /// or were made by another Kiln version, for another target or with
    /// different compilation settings; the message says which.
    ///
    /// # Safety
    ///
    /// The bytes must come from `serialize` or `precompile_module` (of a
    /// compatible engine) and must not have been tampered with: the
    /// checksum catches accidental corruption, but bytes crafted to pass
    /// it are loaded as machine code and run as such. The same contract as
    /// Wasmtime's `Module::deserialize`.
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        decode(engine, bytes.as_ref(), None)
    }

    /// [`Module::deserialize`] from a file, which is memory-mapped rather
    /// than read.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or mapped, or its contents fail as in
    /// [`Module::deserialize`]; the message names the file.
    ///
    /// # Safety
    ///
    /// As for [`Module::deserialize`]; also, the file must not be modified
    /// or truncated while the module (or anything made from it) is alive:
    /// its code and data stay mapped from it (as with Wasmtime's).
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let map =
            FileMap::open(path).with_context(|| format!("failed to read {}", path.display()))?;
        let map = Arc::new(map);
        decode(engine, map.bytes(), Some(&map))
            .with_context(|| format!("failed to load precompiled module {}", path.display()))
    }
}

impl Engine {
    /// Compiles `wasm` (binary or text) and returns its serialized form
    /// without keeping the module.
    ///
    /// # Errors
    ///
    /// As for [`Module::new`].
    pub fn precompile_module(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        Module::new(self, wasm)?.serialize()
    }
}

/// `Module::from_binary` through the on-disk cache in `dir`: loads the
/// module compiled before under the same key, or compiles it with
/// `compile` and stores it. Cache I/O failures never fail compilation.
pub(crate) fn cached(
    engine: &Engine,
    dir: &Path,
    wasm: &[u8],
    compile: impl FnOnce() -> Result<Module>,
) -> Result<Module> {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(KILN_VERSION.as_bytes());
    h.update(FORMAT_VERSION.to_le_bytes());
    h.update(engine.isa().triple().to_string().as_bytes());
    h.update(engine.settings_hash());
    h.update(wasm);
    let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{key}.cwasm"));
    if path.exists() {
        // SAFETY: the cache directory is trusted (see `Config::cache_dir`)
        // and its files are only ever written whole, by rename.
        if let Ok(module) = unsafe { Module::deserialize_file(engine, &path) } {
            engine.count_cache(true);
            return Ok(module);
        }
    }
    engine.count_cache(false);
    let module = compile()?;
    if let Ok(bytes) = module.serialize() {
        let _ = store_atomically(dir, &path, &bytes);
    }
    Ok(module)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees a partial file.
fn store_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Decodes `bytes`; if they are `file`'s mapping, the module's data stays
/// in it rather than being copied.
fn decode(engine: &Engine, bytes: &[u8], file: Option<&Arc<FileMap>>) -> Result<Module> {
    ensure!(
        is_serialized(bytes),
        "not a precompiled Kiln module (bad magic number)"
    );
    ensure!(
        bytes.len() >= FIXED_HEADER,
        "precompiled module truncated: {} bytes, shorter than its header",
        bytes.len()
    );
    let le32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let format = le32(8);
    ensure!(
        format == FORMAT_VERSION,
        "precompiled module has format version {format}, but Kiln {KILN_VERSION} reads version \
         {FORMAT_VERSION}: it was made by another Kiln version; recompile it"
    );
    let total = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    ensure!(
        total == bytes.len() as u64,
        "precompiled module truncated or padded: its header says {total} bytes, but there are {}",
        bytes.len()
    );
    let crc = crc32fast::hash(&bytes[FIXED_HEADER..]);
    ensure!(
        crc == le32(12),
        "precompiled module corrupted: checksum mismatch"
    );
    let mut r = Reader {
        bytes,
        pos: FIXED_HEADER,
    };
    let version = r.str()?;
    ensure!(
        version == KILN_VERSION,
        "precompiled module was made by Kiln {version}, but this is Kiln {KILN_VERSION}; \
         recompile it"
    );
    let triple = r.str()?;
    let ours = engine.isa().triple().to_string();
    ensure!(
        triple == ours,
        "precompiled module was compiled for target {triple}, but this engine compiles for {ours}"
    );
    let hash = r.take(32)?;
    let n = r.len(2)?;
    let mut theirs = Vec::with_capacity(n);
    for _ in 0..n {
        theirs.push((r.str()?, r.str()?));
    }
    if hash != engine.settings_hash().as_slice() {
        check_settings(&theirs, engine.compilation_settings())?;
    }
    let mut info = read_info(&mut r)?;
    let tables = read_code_tables(&mut r)?;
    let code_bytes = r.aligned_bytes()?;
    let code_at = r.pos - code_bytes.len();
    let blob = r.aligned_bytes()?;
    let blob_at = r.pos - blob.len();
    ensure!(
        r.pos == bytes.len(),
        "precompiled module has trailing bytes"
    );
    check_info(&info, &tables, blob.len())?;
    tables.check(code_bytes.len())?;
    let layout = image_layout(&info);
    if let Some((layout, segments)) = &layout {
        // The data must hold the image where `data_blob` put it.
        let in_place = layout.len <= blob.len()
            && segments.iter().all(|&(i, at)| {
                let range = &info.data[i].range;
                range.is_empty() || range.start == at - layout.memory_offset
            });
        ensure!(
            in_place,
            "precompiled module is inconsistent: memory image layout"
        );
    }
    let data = match file {
        Some(map) => DataBytes::Mapped(map.clone(), blob_at..blob_at + blob.len()),
        None => DataBytes::Owned(blob.into()),
    };
    info.index_exports();
    let offsets = VMOffsets::new(&info);
    crate::module::check_pooling_limits(engine, &info, &offsets)?;
    let code = match file {
        Some(map) => CodeImage::from_file(
            map.file(),
            code_at as u64,
            code_bytes,
            tables,
            engine.is_native(),
        )?,
        None => CodeImage::from_parts(code_bytes, tables, engine.is_native())?,
    };
    let layout = layout.map(|(layout, _)| layout);
    Ok(Module::from_parts(
        engine,
        info,
        offsets,
        code,
        Arc::new(data),
        layout,
    ))
}

/// The data bytes to serialize, with each segment's range in them: memory
/// 0's page-aligned image first when [`image_layout`] gives one, then the
/// other segments.
fn data_blob(module: &Module) -> (Vec<u8>, Vec<Range<usize>>) {
    let info = module.info();
    let mut blob = Vec::new();
    let mut ranges = vec![0..0; info.data.len()];
    let mut in_image = vec![false; info.data.len()];
    if let Some((layout, segments)) = image_layout(info) {
        blob.resize(layout.len, 0);
        module.write_image(&segments, &mut blob, layout.memory_offset);
        for (i, at) in segments {
            let len = info.data[i].range.len();
            // Empty segments may lie outside the image.
            let start = if len == 0 {
                0
            } else {
                at - layout.memory_offset
            };
            ranges[i] = start..start + len;
            in_image[i] = true;
        }
    }
    for (i, range) in ranges.iter_mut().enumerate() {
        if !in_image[i] {
            let start = blob.len();
            blob.extend_from_slice(module.data_segment(i));
            *range = start..blob.len();
        }
    }
    (blob, ranges)
}

/// The layout of memory 0's image at the start of a precompiled module's
/// data, and the segments in it, if the module has one: its image
/// segments (see [`ModuleInfo::image_segments`]) do not overlap (each
/// keeps its own bytes), and an image over 1 MiB is at least half data
/// (sparse data would bloat the file). A function of the module description alone, so
/// loading derives the same layout that serializing chose.
fn image_layout(info: &ModuleInfo) -> Option<(ImageLayout, Vec<(usize, usize)>)> {
    let segments = info.image_segments()?;
    let mut extents: Vec<(usize, usize)> = segments
        .iter()
        .map(|&(i, at)| (at, at + info.data[i].range.len()))
        .filter(|(s, e)| s < e)
        .collect();
    extents.sort_unstable();
    if extents.windows(2).any(|w| w[0].1 > w[1].0) {
        return None;
    }
    let layout = ImageLayout::covering(info, &segments, ImageLayout::PAGE)?;
    let bytes: usize = extents.iter().map(|(s, e)| e - s).sum();
    (layout.len <= (2 * bytes).max(1 << 20)).then_some((layout, segments))
}

/// Whether code compiled with the `module`'s settings runs in an engine
/// with the `engine`'s: every setting equal, except that a target feature
/// the module does not use may be on in the engine (code for a baseline
/// aarch64 runs on a CPU with LSE atomics).
fn check_settings(module: &[(&str, &str)], engine: &[(String, String)]) -> Result<()> {
    use crate::engine::ISA_FLAG_PREFIX;
    for (name, value) in engine {
        match module.iter().find(|(n, _)| n == name) {
            Some((_, v)) if v == value => {}
            Some((_, "false")) if name.starts_with(ISA_FLAG_PREFIX) && value == "true" => {}
            Some((_, "true")) if name.starts_with(ISA_FLAG_PREFIX) && value == "false" => {
                let flag = &name[ISA_FLAG_PREFIX.len()..];
                bail!(
                    "precompiled module was compiled with target setting `{flag}`, which this \
                     engine lacks (the host CPU does not support it, or the engine's target \
                     leaves it off); recompile it for this machine"
                );
            }
            Some((_, v)) => bail!(
                "precompiled module was compiled with setting `{name}` = {v}, but this engine \
                 has {value}; recompile it or configure the engine the same way"
            ),
            None => bail!(
                "precompiled module was compiled without setting `{name}` (this engine has \
                 {value}); recompile it"
            ),
        }
    }
    if let Some((name, v)) = module
        .iter()
        .find(|(n, _)| !engine.iter().any(|(e, _)| e == n))
    {
        bail!(
            "precompiled module was compiled with setting `{name}` = {v}, which this engine \
             does not have; recompile it"
        );
    }
    Ok(())
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("fewer than 2^32 items"));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    /// Bytes that start at a multiple of [`ImageLayout::PAGE`] in the
    /// output: a padding length, padding, the length, the bytes.
    fn aligned_bytes(&mut self, b: &[u8]) {
        let at = self.0.len() + 16;
        let pad = (ImageLayout::PAGE - at % ImageLayout::PAGE) % ImageLayout::PAGE;
        self.u64(pad as u64);
        self.0.resize(self.0.len() + pad, 0);
        self.bytes(b);
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
            None => self.u8(0),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| anyhow!("precompiled module truncated at byte {}", self.pos))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    /// A count of items each at least `min_item` bytes long, checked
    /// against what is left so a corrupt count cannot allocate wildly.
    fn len(&mut self, min_item: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        ensure!(
            n.saturating_mul(min_item) <= self.bytes.len() - self.pos,
            "precompiled module truncated: {n} items at byte {}",
            self.pos
        );
        Ok(n)
    }
    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = usize::try_from(self.u64()?).context("length too large")?;
        self.take(n)
    }
    fn aligned_bytes(&mut self) -> Result<&'a [u8]> {
        let pad = usize::try_from(self.u64()?).context("bad padding")?;
        ensure!(
            pad < ImageLayout::PAGE,
            "precompiled module has bad padding"
        );
        self.take(pad)?;
        self.bytes()
    }
    fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).context("precompiled module has a malformed string")
    }
    fn opt_u64(&mut self) -> Result<Option<u64>> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.u64()?)),
            b => bail!("precompiled module has a bad option tag {b}"),
        }
    }
    fn bool(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => bail!("precompiled module has a bad boolean {b}"),
        }
    }
}

fn val_type_code(t: ValType) -> u8 {
    match t {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::V128 => 4,
        ValType::FuncRef => 5,
        ValType::ExternRef => 6,
    }
}

fn read_val_type(r: &mut Reader<'_>) -> Result<ValType> {
    Ok(match r.u8()? {
        0 => ValType::I32,
        1 => ValType::I64,
        2 => ValType::F32,
        3 => ValType::F64,
        4 => ValType::V128,
        5 => ValType::FuncRef,
        6 => ValType::ExternRef,
        b => bail!("precompiled module has a bad value type {b}"),
    })
}

fn write_global_type(w: &mut Writer, t: &GlobalType) {
    w.u8(val_type_code(t.content));
    w.u8(matches!(t.mutability, Mutability::Var) as u8);
}

fn read_global_type(r: &mut Reader<'_>) -> Result<GlobalType> {
    let content = read_val_type(r)?;
    let mutability = if r.bool()? {
        Mutability::Var
    } else {
        Mutability::Const
    };
    Ok(GlobalType::new(content, mutability))
}

fn write_const(w: &mut Writer, e: &ConstExpr) {
    match *e {
        ConstExpr::I32(v) => {
            w.u8(0);
            w.u32(v as u32);
        }
        ConstExpr::I64(v) => {
            w.u8(1);
            w.u64(v as u64);
        }
        ConstExpr::F32(v) => {
            w.u8(2);
            w.u32(v);
        }
        ConstExpr::F64(v) => {
            w.u8(3);
            w.u64(v);
        }
        ConstExpr::V128(v) => {
            w.u8(4);
            w.0.extend_from_slice(&v.to_le_bytes());
        }
        ConstExpr::RefNull => w.u8(5),
        ConstExpr::RefFunc(f) => {
            w.u8(6);
            w.u32(f);
        }
        ConstExpr::GlobalGet(g) => {
            w.u8(7);
            w.u32(g);
        }
    }
}

fn read_const(r: &mut Reader<'_>) -> Result<ConstExpr> {
    Ok(match r.u8()? {
        0 => ConstExpr::I32(r.u32()? as i32),
        1 => ConstExpr::I64(r.u64()? as i64),
        2 => ConstExpr::F32(r.u32()?),
        3 => ConstExpr::F64(r.u64()?),
        4 => ConstExpr::V128(u128::from_le_bytes(r.take(16)?.try_into().expect("16"))),
        5 => ConstExpr::RefNull,
        6 => ConstExpr::RefFunc(r.u32()?),
        7 => ConstExpr::GlobalGet(r.u32()?),
        b => bail!("precompiled module has a bad constant expression tag {b}"),
    })
}

fn write_mode(w: &mut Writer, m: &SegmentMode) {
    match m {
        SegmentMode::Active { index, offset } => {
            w.u8(0);
            w.u32(*index);
            write_const(w, offset);
        }
        SegmentMode::Passive => w.u8(1),
        SegmentMode::Declared => w.u8(2),
    }
}

fn read_mode(r: &mut Reader<'_>) -> Result<SegmentMode> {
    Ok(match r.u8()? {
        0 => SegmentMode::Active {
            index: r.u32()?,
            offset: read_const(r)?,
        },
        1 => SegmentMode::Passive,
        2 => SegmentMode::Declared,
        b => bail!("precompiled module has a bad segment mode {b}"),
    })
}

fn write_entity(w: &mut Writer, e: EntityIndex) {
    let (tag, i) = match e {
        EntityIndex::Func(i) => (0, i),
        EntityIndex::Global(i) => (1, i),
        EntityIndex::Memory(i) => (2, i),
        EntityIndex::Table(i) => (3, i),
    };
    w.u8(tag);
    w.u32(i);
}

fn read_entity(r: &mut Reader<'_>) -> Result<EntityIndex> {
    let tag = r.u8()?;
    let i = r.u32()?;
    Ok(match tag {
        0 => EntityIndex::Func(i),
        1 => EntityIndex::Global(i),
        2 => EntityIndex::Memory(i),
        3 => EntityIndex::Table(i),
        b => bail!("precompiled module has a bad entity kind {b}"),
    })
}

fn write_bools(w: &mut Writer, v: &[bool]) {
    w.len(v.len());
    w.0.extend(v.iter().map(|&b| b as u8));
}

fn read_bools(r: &mut Reader<'_>) -> Result<Vec<bool>> {
    let n = r.len(1)?;
    let raw = r.take(n)?;
    ensure!(
        raw.iter().all(|&b| b <= 1),
        "precompiled module has a bad boolean"
    );
    Ok(raw.iter().map(|&b| b == 1).collect())
}

fn write_u32s(w: &mut Writer, v: &[u32]) {
    w.len(v.len());
    for &x in v {
        w.u32(x);
    }
}

fn read_u32s(r: &mut Reader<'_>) -> Result<Vec<u32>> {
    let n = r.len(4)?;
    let raw = r.take(n * 4)?;
    Ok(raw
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

fn write_info(w: &mut Writer, info: &ModuleInfo, data_ranges: &[Range<usize>]) {
    match &info.name {
        Some(name) => {
            w.u8(1);
            w.str(name);
        }
        None => w.u8(0),
    }
    w.len(info.types.len());
    for t in &info.types {
        w.len(t.params().len());
        w.len(t.params().len() + t.results().len());
        w.0.extend(
            t.params()
                .iter()
                .chain(t.results())
                .map(|&v| val_type_code(v)),
        );
    }
    write_u32s(w, &info.funcs);
    w.u32(info.num_imported_funcs);
    w.len(info.globals.len());
    for g in &info.globals {
        write_global_type(w, &g.ty);
        match &g.init {
            Some(e) => {
                w.u8(1);
                write_const(w, e);
            }
            None => w.u8(0),
        }
    }
    w.u32(info.num_imported_globals);
    w.len(info.memories.len());
    for m in &info.memories {
        w.u64(m.minimum);
        w.opt_u64(m.maximum);
        w.u8(m.memory64 as u8);
        w.u8(m.shared as u8);
    }
    w.u32(info.num_imported_memories);
    w.len(info.tables.len());
    for t in &info.tables {
        w.u8(val_type_code(t.element));
        w.u64(t.minimum);
        w.opt_u64(t.maximum);
    }
    w.u32(info.num_imported_tables);
    w.len(info.imports.len());
    for i in &info.imports {
        w.str(&i.module);
        w.str(&i.name);
        write_entity(w, i.index);
    }
    w.len(info.exports.len());
    for e in &info.exports {
        w.str(&e.name);
        write_entity(w, e.index);
    }
    w.opt_u64(info.start.map(u64::from));
    w.len(info.elems.len());
    for e in &info.elems {
        write_mode(w, &e.mode);
        w.u8(val_type_code(e.ty));
        match &e.items {
            ElemItems::Funcs(funcs) => {
                w.u8(0);
                write_u32s(w, funcs);
            }
            ElemItems::Exprs(items) => {
                w.u8(1);
                w.len(items.len());
                for item in items {
                    write_const(w, item);
                }
            }
        }
    }
    w.len(info.data.len());
    for (d, range) in info.data.iter().zip(data_ranges) {
        write_mode(w, &d.mode);
        w.u64(range.start as u64);
        w.u64(range.end as u64);
    }
    let (text, entries) = info.func_names.parts();
    w.str(text);
    w.len(entries.len());
    for &(i, s, e) in entries {
        w.u32(i);
        w.u32(s);
        w.u32(e);
    }
    write_bools(w, &info.escaping_funcs);
    w.len(info.table_inits.len());
    for t in &info.table_inits {
        match t {
            TableInit::Lazy(image) => {
                w.u8(1);
                write_u32s(w, image);
            }
            TableInit::Eager => w.u8(0),
        }
    }
    write_bools(w, &info.tables_set_inline);
    write_u32s(w, &info.func_body_offsets);
}

fn read_info(r: &mut Reader<'_>) -> Result<ModuleInfo> {
    let mut info = ModuleInfo {
        name: if r.bool()? {
            Some(r.str()?.to_string())
        } else {
            None
        },
        ..ModuleInfo::default()
    };
    for _ in 0..r.len(8)? {
        let num_params = r.len(0)?;
        let n = r.len(1)?;
        ensure!(
            num_params <= n,
            "precompiled module has a bad function type"
        );
        let types = (0..n)
            .map(|_| read_val_type(r))
            .collect::<Result<Vec<_>>>()?;
        let (params, results) = types.split_at(num_params);
        info.types.push(FuncType::new(
            params.iter().copied(),
            results.iter().copied(),
        ));
    }
    info.funcs = read_u32s(r)?;
    info.num_imported_funcs = r.u32()?;
    for _ in 0..r.len(3)? {
        let ty = read_global_type(r)?;
        let init = if r.bool()? {
            Some(read_const(r)?)
        } else {
            None
        };
        info.globals.push(Global { ty, init });
    }
    info.num_imported_globals = r.u32()?;
    for _ in 0..r.len(11)? {
        info.memories.push(MemoryType {
            minimum: r.u64()?,
            maximum: r.opt_u64()?,
            memory64: r.bool()?,
            shared: r.bool()?,
        });
    }
    info.num_imported_memories = r.u32()?;
    for _ in 0..r.len(10)? {
        info.tables.push(TableType {
            element: read_val_type(r)?,
            minimum: r.u64()?,
            maximum: r.opt_u64()?,
        });
    }
    info.num_imported_tables = r.u32()?;
    for _ in 0..r.len(21)? {
        info.imports.push(Import {
            module: r.str()?.to_string(),
            name: r.str()?.to_string(),
            index: read_entity(r)?,
        });
    }
    for _ in 0..r.len(13)? {
        info.exports.push(Export {
            name: r.str()?.to_string(),
            index: read_entity(r)?,
        });
    }
    info.start = r
        .opt_u64()?
        .map(|s| u32::try_from(s).context("bad start function"))
        .transpose()?;
    for _ in 0..r.len(6)? {
        let mode = read_mode(r)?;
        let ty = read_val_type(r)?;
        let items = if r.bool()? {
            let n = r.len(1)?;
            ElemItems::Exprs((0..n).map(|_| read_const(r)).collect::<Result<_>>()?)
        } else {
            ElemItems::Funcs(read_u32s(r)?.into())
        };
        info.elems.push(ElemSegment { mode, ty, items });
    }
    for _ in 0..r.len(17)? {
        let mode = read_mode(r)?;
        let start = usize::try_from(r.u64()?).context("bad data range")?;
        let end = usize::try_from(r.u64()?).context("bad data range")?;
        ensure!(start <= end, "precompiled module has a bad data range");
        info.data.push(DataSegment {
            mode,
            range: start..end,
        });
    }
    let text = r.str()?.to_string();
    let n = r.len(12)?;
    let raw = r.take(n * 12)?;
    let entries = raw
        .chunks_exact(12)
        .map(|c| {
            let word = |k: usize| u32::from_le_bytes(c[k..k + 4].try_into().expect("4 bytes"));
            (word(0), word(4), word(8))
        })
        .collect();
    info.func_names = crate::module_info::FuncNames::from_parts(text, entries)
        .ok_or_else(|| anyhow!("precompiled module has malformed function names"))?;
    info.escaping_funcs = read_bools(r)?;
    for _ in 0..r.len(1)? {
        info.table_inits.push(if r.bool()? {
            TableInit::Lazy(read_u32s(r)?.into())
        } else {
            TableInit::Eager
        });
    }
    info.tables_set_inline = read_bools(r)?;
    info.func_body_offsets = read_u32s(r)?;
    Ok(info)
}

fn write_code_tables(w: &mut Writer, t: &CodeTables) {
    w.len(t.funcs.len());
    for f in &t.funcs {
        w.u32(f.start);
        w.u32(f.end);
    }
    write_u32s(w, &t.array_trampolines);
    write_u32s(w, &t.host_trampolines);
    w.len(t.traps.len());
    for (off, code) in &t.traps {
        w.u32(*off);
        w.u8(code.to_u8());
    }
    w.len(t.addr_map.len());
    for (off, wasm) in &t.addr_map {
        w.u32(*off);
        w.u32(*wasm);
    }
    w.len(t.inlined.len());
    for f in &t.inlined {
        w.u32(f.func);
        w.u32(f.offset);
        w.u32(f.caller);
    }
}

fn read_code_tables(r: &mut Reader<'_>) -> Result<CodeTables> {
    let n = r.len(8)?;
    let mut funcs = Vec::with_capacity(n);
    for _ in 0..n {
        funcs.push(r.u32()?..r.u32()?);
    }
    let array_trampolines = read_u32s(r)?;
    let host_trampolines = read_u32s(r)?;
    let n = r.len(5)?;
    let mut traps = Vec::with_capacity(n);
    for _ in 0..n {
        let off = r.u32()?;
        let byte = r.u8()?;
        let code = TrapCode::from_u8(byte)
            .ok_or_else(|| anyhow!("precompiled module has a bad trap code {byte}"))?;
        traps.push((off, code));
    }
    let n = r.len(8)?;
    let raw = r.take(n * 8)?;
    let addr_map = raw
        .chunks_exact(8)
        .map(|c| {
            (
                u32::from_le_bytes(c[..4].try_into().expect("4 bytes")),
                u32::from_le_bytes(c[4..].try_into().expect("4 bytes")),
            )
        })
        .collect();
    let n = r.len(12)?;
    let mut inlined = Vec::with_capacity(n);
    for _ in 0..n {
        inlined.push(InlineFrame {
            func: r.u32()?,
            offset: r.u32()?,
            caller: r.u32()?,
        });
    }
    Ok(CodeTables {
        funcs,
        array_trampolines,
        host_trampolines,
        traps,
        addr_map,
        inlined,
    })
}

/// Checks that every index the runtime follows stays in bounds, so that a
/// module description that decoded but is inconsistent fails here rather
/// than panicking (or worse) at instantiation.
fn check_info(info: &ModuleInfo, code: &CodeTables, data_len: usize) -> Result<()> {
    let bad = |what: &str| anyhow!("precompiled module is inconsistent: {what}");
    let nfuncs = info.funcs.len() as u32;
    let nglobals = info.globals.len() as u32;
    let nmemories = info.memories.len() as u32;
    let ntables = info.tables.len() as u32;
    if info.funcs.iter().any(|&t| t as usize >= info.types.len()) {
        return Err(bad("function type index"));
    }
    if info.num_imported_funcs > nfuncs
        || info.num_imported_globals > nglobals
        || info.num_imported_memories > nmemories
        || info.num_imported_tables > ntables
    {
        return Err(bad("import counts"));
    }
    let entity_ok = |e: EntityIndex| match e {
        EntityIndex::Func(i) => i < nfuncs,
        EntityIndex::Global(i) => i < nglobals,
        EntityIndex::Memory(i) => i < nmemories,
        EntityIndex::Table(i) => i < ntables,
    };
    let imported = |e: EntityIndex| match e {
        EntityIndex::Func(i) => i < info.num_imported_funcs,
        EntityIndex::Global(i) => i < info.num_imported_globals,
        EntityIndex::Memory(i) => i < info.num_imported_memories,
        EntityIndex::Table(i) => i < info.num_imported_tables,
    };
    let num_imports = info.num_imported_funcs
        + info.num_imported_globals
        + info.num_imported_memories
        + info.num_imported_tables;
    if info.imports.len() != num_imports as usize || !info.imports.iter().all(|i| imported(i.index))
    {
        return Err(bad("imports"));
    }
    if !info.exports.iter().all(|e| entity_ok(e.index)) {
        return Err(bad("export index"));
    }
    if info.start.is_some_and(|s| s >= nfuncs) {
        return Err(bad("start function"));
    }
    let const_ok = |e: &ConstExpr| match *e {
        ConstExpr::RefFunc(f) => f < nfuncs,
        ConstExpr::GlobalGet(g) => g < nglobals,
        _ => true,
    };
    if info
        .globals
        .iter()
        .any(|g| g.init.as_ref().is_some_and(|e| !const_ok(e)))
        || info.globals[..info.num_imported_globals as usize]
            .iter()
            .any(|g| g.init.is_some())
        || info.globals[info.num_imported_globals as usize..]
            .iter()
            .any(|g| g.init.is_none())
    {
        return Err(bad("global initializer"));
    }
    for e in &info.elems {
        if let SegmentMode::Active { index, offset } = &e.mode
            && (*index >= ntables || !const_ok(offset))
        {
            return Err(bad("element segment"));
        }
        let items_ok = match &e.items {
            ElemItems::Funcs(funcs) => all_below(funcs.iter().copied(), u64::from(nfuncs)),
            ElemItems::Exprs(items) => items.iter().all(const_ok),
        };
        if !items_ok {
            return Err(bad("element segment item"));
        }
    }
    for d in &info.data {
        if let SegmentMode::Active { index, offset } = &d.mode
            && (*index >= nmemories || !const_ok(offset))
        {
            return Err(bad("data segment"));
        }
        if d.range.end > data_len {
            return Err(bad("data segment range"));
        }
    }
    if info.func_names.iter().any(|(f, _)| f >= nfuncs) {
        return Err(bad("function name"));
    }
    let defined_funcs = info.num_defined_funcs() as usize;
    let defined_tables = info.num_defined_tables() as usize;
    if info.escaping_funcs.len() != nfuncs as usize
        || info.func_body_offsets.len() != defined_funcs
        || info.tables_set_inline.len() != ntables as usize
        || info.table_inits.len() != defined_tables
    {
        return Err(bad("table sizes"));
    }
    for init in &info.table_inits {
        // NULL (u32::MAX) wraps to 0 here; every other entry must name a
        // function.
        if let TableInit::Lazy(image) = init
            && !all_below(
                image.iter().map(|&f| f.wrapping_add(1)),
                u64::from(nfuncs) + 1,
            )
        {
            return Err(bad("lazy table image"));
        }
    }
    if code.funcs.len() != defined_funcs
        || code.array_trampolines.len() != info.types.len()
        || code.host_trampolines.len() != info.types.len()
    {
        return Err(bad("code tables"));
    }
    Ok(())
}

/// True if every item is below `limit`: a branch-free pass the compiler
/// vectorizes (element lists and table images have thousands of entries).
fn all_below(items: impl Iterator<Item = u32>, limit: u64) -> bool {
    items.fold(0u64, |max, x| max.max(u64::from(x) + 1)) <= limit
}

/// A read-only mapping of a whole file, with the file kept open (a
/// module's memory image may be mapped from it).
pub struct FileMap {
    file: std::fs::File,
    /// `None` for an empty file.
    map: Option<FileMapping>,
}

impl FileMap {
    fn open(path: &Path) -> Result<FileMap> {
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).context("file too large")?;
        // Every byte is read at once (the checksum): map them all now
        // rather than fault them in a few pages at a time.
        let map = (len > 0)
            .then(|| FileMapping::new(&file, 0, len, libc::PROT_READ, true))
            .transpose()?;
        Ok(FileMap { file, map })
    }

    /// The mapped file.
    pub fn file(&self) -> &std::fs::File {
        &self.file
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_ref().map_or(&[], FileMapping::bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    const WAT: &str = r#"(module $m
        (import "env" "f" (func $f (param i32) (result i32)))
        (import "env" "g" (global i64))
        (memory (export "mem") 1 3)
        (table (export "t") 10 funcref)
        (global $h (mut f64) (f64.const 2.5))
        (elem (i32.const 1) $f $add)
        (elem declare func $add)
        (data (i32.const 16) "hello")
        (data "passive")
        (func $add (export "add") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.add)
        (func $div (export "div") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.div_s)
        (start $start)
        (func $start))"#;

    fn sample(engine: &Engine) -> Vec<u8> {
        Module::new(engine, WAT).unwrap().serialize().unwrap()
    }

    /// Rewrites a field of the body and fixes the checksum, as another
    /// Kiln build would have written it.
    fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
        let crc = crc32fast::hash(&bytes[FIXED_HEADER..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    fn load(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        // SAFETY: the tests load bytes made by `serialize`, or damaged
        // copies that must be rejected before any code is mapped.
        unsafe { Module::deserialize(engine, bytes) }
    }

    #[test]
    fn round_trip_is_exact() {
        let engine = Engine::default();
        let bytes = sample(&engine);
        let module = load(&engine, &bytes).unwrap();
        assert_eq!(module.serialize().unwrap(), bytes);
        assert_eq!(module.name(), Some("m"));
        assert_eq!(module.imports().len(), 2);
        let exports: Vec<_> = module.exports().map(|e| e.name().to_string()).collect();
        assert_eq!(exports, ["mem", "t", "add", "div"]);
        assert!(module.info().export("add").is_some());
        assert_eq!(module.data_segment(0), b"hello");
        assert_eq!(module.data_segment(1), b"passive");
    }

    #[test]
    fn truncation_is_an_error() {
        let engine = Engine::default();
        let bytes = sample(&engine);
        let mut cuts: Vec<usize> = (0..bytes.len()).step_by(1024).collect();
        cuts.extend(0..64.min(bytes.len()));
        cuts.push(bytes.len() - 1);
        for cut in cuts {
            let err = load(&engine, &bytes[..cut]).unwrap_err().to_string();
            assert!(
                err.contains("truncated") || err.contains("magic"),
                "cut at {cut}: {err}"
            );
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(load(&engine, &padded).is_err());
    }

    #[test]
    fn flipped_bytes_are_an_error() {
        let engine = Engine::default();
        let bytes = sample(&engine);
        for at in (0..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[at] ^= 0x20;
            assert!(load(&engine, &bad).is_err(), "flip at {at} accepted");
        }
    }

    #[test]
    fn other_version_format_target_and_config_are_named() {
        let engine = Engine::default();
        let bytes = sample(&engine);

        let mut other_format = bytes.clone();
        other_format[8] += 1;
        let err = load(&engine, &other_format).unwrap_err().to_string();
        assert!(err.contains("format version"), "{err}");

        // The version string follows its 8-byte length at offset 24.
        let mut other_version = bytes.clone();
        let v = FIXED_HEADER + 8;
        other_version[v] = b'9';
        let err = load(&engine, &with_checksum(other_version))
            .unwrap_err()
            .to_string();
        assert!(err.contains("made by Kiln 9"), "{err}");

        let triple_at = v + KILN_VERSION.len() + 8;
        let mut other_target = bytes.clone();
        other_target[triple_at] = b'z';
        let err = load(&engine, &with_checksum(other_target))
            .unwrap_err()
            .to_string();
        assert!(err.contains("compiled for target z"), "{err}");

        let fuel = Engine::new(Config::new().consume_fuel(true)).unwrap();
        let err = load(&fuel, &bytes).unwrap_err().to_string();
        assert!(err.contains("`kiln.consume_fuel` = false"), "{err}");
        let fast = Engine::new(Config::new().cranelift_opt_level(crate::OptLevel::None)).unwrap();
        let err = load(&fast, &bytes).unwrap_err().to_string();
        assert!(err.contains("cranelift.opt_level"), "{err}");

        // Settings that do not change code do not matter.
        let verified = Engine::new(
            Config::new()
                .cranelift_debug_verifier(true)
                .max_wasm_stack(256 << 10),
        )
        .unwrap();
        load(&verified, &bytes).unwrap();
    }

    /// The supported architecture this machine is not, and a CPU feature
    /// flag of it that its baseline leaves off.
    fn other_target() -> &'static str {
        if cfg!(target_arch = "x86_64") {
            "aarch64-unknown-linux-gnu"
        } else {
            "x86_64-unknown-linux-gnu"
        }
    }
    const HOST_FEATURE: &str = if cfg!(target_arch = "x86_64") {
        "has_avx"
    } else {
        "has_lse"
    };

    #[test]
    fn cross_compiled_modules_serialize_but_load_only_on_their_target() {
        let cross = Engine::new(Config::new().target(other_target()).unwrap()).unwrap();
        assert!(!cross.is_native());
        assert_eq!(cross.target().to_string(), other_target());
        let module = Module::new(&cross, WAT).unwrap();
        let host_module = Module::new(&Engine::default(), WAT).unwrap();
        assert_ne!(module.code().bytes(), host_module.code().bytes());
        let bytes = module.serialize().unwrap();
        let err = load(&Engine::default(), &bytes).unwrap_err().to_string();
        assert!(
            err.contains(&format!("compiled for target {}", other_target())),
            "{err}"
        );
        // An engine for that target reads it back exactly (but cannot run it).
        assert_eq!(load(&cross, &bytes).unwrap().serialize().unwrap(), bytes);
        let err = cross.ensure_native("instantiate").unwrap_err().to_string();
        assert!(err.contains("cannot instantiate"), "{err}");
        assert!(err.contains(other_target()), "{err}");
        assert!(cross.host_trampoline(&module.info().types[0]).is_err());
        // Unsupported or malformed targets are refused when configured.
        let err = Config::new()
            .target("riscv64gc-unknown-linux-gnu")
            .err()
            .unwrap();
        assert!(err.to_string().contains("not for riscv64"), "{err}");
        assert!(Config::new().target("no-such-thing-at-all").is_err());
    }

    #[test]
    fn modules_load_where_the_cpu_has_every_feature_they_use() {
        let host = Engine::default();
        let triple = host.target().to_string();
        let baseline = Engine::new(Config::new().target(&triple).unwrap()).unwrap();
        assert!(baseline.is_native());
        // Compiled for the baseline: loads into the engine that detected
        // the host's features.
        load(&host, &sample(&baseline)).unwrap();
        // Compiled with a feature the loading engine lacks: refused, and
        // the feature named.
        let featured = Engine::new(
            Config::new()
                .target(&triple)
                .unwrap()
                .cranelift_flag_set(HOST_FEATURE, "true"),
        )
        .unwrap();
        let err = load(&baseline, &sample(&featured)).unwrap_err().to_string();
        assert!(err.contains(&format!("`{HOST_FEATURE}`")), "{err}");
        // Shared settings still have to match exactly.
        let other_opt = Engine::new(
            Config::new()
                .target(&triple)
                .unwrap()
                .cranelift_opt_level(crate::OptLevel::None),
        )
        .unwrap();
        let err = load(&baseline, &sample(&other_opt))
            .unwrap_err()
            .to_string();
        assert!(err.contains("opt_level"), "{err}");
    }

    #[test]
    fn wasm_is_not_a_serialized_module() {
        let engine = Engine::default();
        let wasm = wat::parse_str(WAT).unwrap();
        assert!(!is_serialized(&wasm));
        let err = load(&engine, &wasm).unwrap_err().to_string();
        assert!(err.contains("magic"), "{err}");
    }

    #[test]
    fn the_disk_cache_loads_what_it_compiled() {
        let dir = std::env::temp_dir().join(format!("kiln-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let engine =
            |fuel| Engine::new(Config::new().cache_dir(Some(&dir)).consume_fuel(fuel)).unwrap();
        let a = engine(false);
        let first = Module::new(&a, WAT).unwrap();
        assert_eq!(a.cache_stats(), (0, 1));
        // Another engine with the same settings loads it.
        let b = engine(false);
        let second = Module::new(&b, WAT).unwrap();
        assert_eq!(b.cache_stats(), (1, 0));
        assert_eq!(first.serialize().unwrap(), second.serialize().unwrap());
        // Different settings are a different key.
        let c = engine(true);
        Module::new(&c, WAT).unwrap();
        assert_eq!(c.cache_stats(), (0, 1));
        // A damaged file is recompiled and replaced.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        }
        let d = engine(false);
        Module::new(&d, WAT).unwrap();
        Module::new(&d, WAT).unwrap();
        assert_eq!(d.cache_stats(), (1, 1));
        // Invalid modules are errors, and nothing is stored for them.
        let files = std::fs::read_dir(&dir).unwrap().count();
        assert!(Module::new(&d, "(module (func (result i32)))").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), files);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_round_trip() {
        let engine = Engine::default();
        let bytes = sample(&engine);
        let dir = std::env::temp_dir().join(format!("kiln-ser-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.cwasm");
        std::fs::write(&path, &bytes).unwrap();
        // SAFETY: the file holds `serialize`'s output and is not modified.
        let module = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
        assert_eq!(module.serialize().unwrap(), bytes);
        std::fs::write(&path, &bytes[..100]).unwrap();
        // SAFETY: as above; truncated bytes are rejected before use.
        let err = unsafe { Module::deserialize_file(&engine, &path) }.unwrap_err();
        assert!(format!("{err:#}").contains("m.cwasm"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
