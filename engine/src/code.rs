//! The code image of a module: function bodies and trampolines laid out in
//! one block of executable memory, with the tables the runtime needs to map
//! a program counter back to a function, a trap code and a wasm offset.
//!
//! Invariants: `funcs` ranges are sorted and disjoint; `traps` and
//! `addr_map` are sorted by code offset; the memory is never written after
//! it is made executable, so lookups need no lock.

use crate::TrapCode;
use crate::mapping::FileMapping;
use anyhow::{Context as _, Result};
use std::ops::Range;

/// One compiled function, or trampoline, before layout.
pub(crate) struct CompiledCode {
    pub bytes: Vec<u8>,
    pub relocs: Vec<Reloc>,
    /// (offset in this function, trap code).
    pub traps: Vec<(u32, TrapCode)>,
    /// (offset in this function, source location): a wasm byte offset,
    /// or [`INLINED`] and an index into `inlined`.
    pub addr_map: Vec<(u32, u32)>,
    /// The frames of code inlined into this function; indexes local to it.
    pub inlined: Vec<InlineFrame>,
    pub alignment: u32,
}

/// Marks a source location (an `addr_map` value) that is not a wasm
/// offset in the function the code belongs to, but the index of an
/// [`InlineFrame`]. Wasm offsets stay below it: modules are smaller than
/// 2 GiB, and inlining is off for any that is not.
pub(crate) const INLINED: u32 = 1 << 31;

/// An operator of a function inlined into another: the innermost frame of
/// the instructions translated from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InlineFrame {
    /// The inlined function, as an index among the defined functions.
    pub func: u32,
    /// The operator's wasm byte offset (in `func`'s body).
    pub offset: u32,
    /// The source location of the call that was inlined: a wasm offset
    /// in the function the code belongs to, or [`INLINED`] and the index
    /// of an earlier frame, when the call was itself inlined.
    pub caller: u32,
}

impl InlineFrame {
    /// The frame with its frame indexes moved up by `base`.
    fn rebased(self, base: u32) -> InlineFrame {
        InlineFrame {
            caller: rebase(self.caller, base),
            ..self
        }
    }
}

/// `loc` with its frame index (if it has one) moved up by `base`.
fn rebase(loc: u32, base: u32) -> u32 {
    if loc & INLINED != 0 { loc + base } else { loc }
}

/// A call from one function to a defined function of the same module.
pub(crate) struct Reloc {
    pub offset: u32,
    pub kind: cranelift_codegen::binemit::Reloc,
    /// Index among the module's *defined* functions.
    pub target: u32,
    pub addend: i64,
}

/// Where a [`CodeImage`]'s bytes live.
enum CodeMemory {
    /// Memory of our own, written then made executable.
    Alloc(region::Allocation),
    /// A private read-and-execute mapping of a precompiled module's file.
    File(FileMapping),
}

impl CodeMemory {
    fn base(&self) -> *const u8 {
        match self {
            CodeMemory::Alloc(mem) => mem.as_ptr::<u8>(),
            CodeMemory::File(map) => map.as_ptr(),
        }
    }
}

/// Executable memory holding a module's code.
pub struct CodeImage {
    mem: CodeMemory,
    len: usize,
    tables: CodeTables,
}

/// The tables of a [`CodeImage`], offsets relative to its start.
pub(crate) struct CodeTables {
    /// Code range of each defined function.
    pub funcs: Vec<Range<u32>>,
    /// Array-call entry trampoline of each type-section type.
    pub array_trampolines: Vec<u32>,
    /// Wasm-to-host trampoline of each type-section type.
    pub host_trampolines: Vec<u32>,
    /// (code offset, trap code), sorted.
    pub traps: Vec<(u32, TrapCode)>,
    /// (code offset, source location), sorted; see [`INLINED`].
    pub addr_map: Vec<(u32, u32)>,
    /// The frames of inlined code, which `addr_map` and callers refer to.
    pub inlined: Vec<InlineFrame>,
}

impl CodeTables {
    /// Checks the invariants lookups rely on: every offset inside an image
    /// of `len` bytes, function ranges sorted and disjoint, trap and
    /// address tables sorted. Built tables hold these by construction;
    /// loaded ones are checked before use.
    pub(crate) fn check(&self, len: usize) -> Result<()> {
        let len = u32::try_from(len).context("code image larger than 4 GiB")?;
        let mut end = 0;
        for r in &self.funcs {
            anyhow::ensure!(
                end <= r.start && r.start <= r.end && r.end <= len,
                "function code range {r:?} out of order or past the image"
            );
            end = r.end;
        }
        for &t in self.array_trampolines.iter().chain(&self.host_trampolines) {
            anyhow::ensure!(t < len, "trampoline offset {t} past the image");
        }
        // Branch-free passes (these tables have thousands of entries).
        fn sorted_below(offsets: impl Iterator<Item = u32>, limit: u32) -> bool {
            let (mut prev, mut ok) = (0u32, true);
            for o in offsets {
                ok &= prev <= o && o < limit;
                prev = o;
            }
            ok
        }
        anyhow::ensure!(
            sorted_below(self.traps.iter().map(|t| t.0), len),
            "trap table not sorted or past the image"
        );
        anyhow::ensure!(
            sorted_below(self.addr_map.iter().map(|t| t.0), len.saturating_add(1)),
            "address map not sorted or past the image"
        );
        // A frame's caller is a wasm offset or an earlier frame, so every
        // chain of callers ends.
        let frames = self.inlined.len() as u32;
        anyhow::ensure!(
            self.addr_map
                .iter()
                .all(|&(_, loc)| loc & INLINED == 0 || loc & !INLINED < frames),
            "address map names an inlined frame that does not exist"
        );
        for (i, f) in self.inlined.iter().enumerate() {
            anyhow::ensure!(
                (f.func as usize) < self.funcs.len()
                    && f.offset & INLINED == 0
                    && (f.caller & INLINED == 0 || f.caller & !INLINED < i as u32),
                "inlined frame {i} is inconsistent"
            );
        }
        Ok(())
    }
}

// SAFETY: the image is immutable once built (read and executed only), and
// its memory (an allocation or a file mapping) is owned.
unsafe impl Send for CodeImage {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for CodeImage {}

impl CodeImage {
    /// Lays out `funcs` followed by `array` and `host` trampolines, resolves
    /// calls between functions and maps the result executable.
    pub(crate) fn new(
        funcs: Vec<CompiledCode>,
        array: Vec<CompiledCode>,
        host: Vec<CompiledCode>,
        executable: bool,
    ) -> Result<CodeImage> {
        let nfuncs = funcs.len();
        let narray = array.len();
        let all: Vec<CompiledCode> = funcs.into_iter().chain(array).chain(host).collect();
        let mut starts = Vec::with_capacity(all.len());
        let mut at = 0u32;
        for code in &all {
            // Each piece starts a cache line (64 bytes on the targets we
            // build for), so where a function's loops fall relative to
            // line and fetch-window boundaries depends on the function
            // alone, not on the sizes of the functions before it.
            at = at.next_multiple_of(code.alignment.max(64));
            starts.push(at);
            at += code.bytes.len() as u32;
        }
        let mut image = vec![0u8; at as usize];
        let mut traps = Vec::new();
        let mut addr_map = Vec::new();
        let mut inlined = Vec::new();
        for (code, &start) in all.iter().zip(&starts) {
            let start_usize = start as usize;
            image[start_usize..start_usize + code.bytes.len()].copy_from_slice(&code.bytes);
            for r in &code.relocs {
                let target = starts[r.target as usize];
                apply_reloc(&mut image, start + r.offset, r.kind, target, r.addend)?;
            }
            traps.extend(code.traps.iter().map(|(off, t)| (start + off, *t)));
            let base = inlined.len() as u32;
            addr_map.extend(
                code.addr_map
                    .iter()
                    .map(|&(off, loc)| (start + off, rebase(loc, base))),
            );
            inlined.extend(code.inlined.iter().map(|f| f.rebased(base)));
        }
        let range_of = |i: usize| starts[i]..starts[i] + all[i].bytes.len() as u32;
        CodeImage::from_parts(
            &image,
            CodeTables {
                funcs: (0..nfuncs).map(range_of).collect(),
                array_trampolines: (nfuncs..nfuncs + narray).map(|i| starts[i]).collect(),
                host_trampolines: (nfuncs + narray..all.len()).map(|i| starts[i]).collect(),
                traps,
                addr_map,
                inlined,
            },
            executable,
        )
    }

    /// Maps a laid-out image (relocations applied, so position-independent)
    /// with its tables (valid for it: see [`CodeTables::check`]),
    /// executable if `executable` (the code is for this machine).
    ///
    /// # Errors
    ///
    /// The memory cannot be mapped.
    pub(crate) fn from_parts(
        bytes: &[u8],
        tables: CodeTables,
        executable: bool,
    ) -> Result<CodeImage> {
        let len = bytes.len().max(1);
        let mut mem =
            region::alloc(len, region::Protection::READ_WRITE).context("allocating code memory")?;
        let image = mem.as_mut_ptr::<u8>();
        // SAFETY: the allocation holds at least `bytes.len()` bytes and is
        // fresh, so it does not overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), image, bytes.len()) };
        // Code for another target is kept readable only: it is serialized,
        // never run.
        let protection = if executable {
            crate::sys::flush_icache(image, bytes.len());
            region::Protection::READ_EXECUTE
        } else {
            region::Protection::READ
        };
        // SAFETY: the allocation is ours and fully written; from here on it
        // is only read (and executed).
        unsafe {
            region::protect(image, len, protection).context("protecting code memory")?;
        }
        Ok(CodeImage {
            mem: CodeMemory::Alloc(mem),
            len: bytes.len(),
            tables,
        })
    }

    /// Maps the code `bytes`, which are the contents of `file` at
    /// `offset`, straight from the file (read and execute, private), if
    /// `offset` is page-aligned; else copies them as
    /// [`CodeImage::from_parts`] does.
    ///
    /// # Errors
    ///
    /// As for [`CodeImage::from_parts`].
    pub(crate) fn from_file(
        file: &std::fs::File,
        offset: u64,
        bytes: &[u8],
        tables: CodeTables,
        executable: bool,
    ) -> Result<CodeImage> {
        let page = region::page::size() as u64;
        if bytes.is_empty() || !offset.is_multiple_of(page) {
            return CodeImage::from_parts(bytes, tables, executable);
        }
        // A new mapping of file pages needs no cache maintenance: the
        // kernel makes executable pages coherent when it maps them.
        let prot = if executable {
            libc::PROT_READ | libc::PROT_EXEC
        } else {
            libc::PROT_READ
        };
        match FileMapping::new(file, offset, bytes.len(), prot, false) {
            Ok(map) => Ok(CodeImage {
                mem: CodeMemory::File(map),
                len: bytes.len(),
                tables,
            }),
            Err(_) => CodeImage::from_parts(bytes, tables, executable),
        }
    }

    /// The machine code, as laid out in memory.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is readable and `len` bytes long, and never
        // written after construction.
        unsafe { std::slice::from_raw_parts(self.base(), self.len) }
    }

    /// The tables describing the image (for serialization).
    pub(crate) fn tables(&self) -> &CodeTables {
        &self.tables
    }

    /// The address range of the whole image.
    pub fn range(&self) -> Range<usize> {
        let base = self.mem.base() as usize;
        base..base + self.len
    }

    fn base(&self) -> *const u8 {
        self.mem.base()
    }

    /// Entry point of defined function `i` (wasm calling convention).
    #[inline]
    pub fn func_ptr(&self, defined_index: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe {
            self.base()
                .add(self.tables.funcs[defined_index as usize].start as usize)
        }
    }

    /// Array-call trampoline of type `ty`:
    /// `extern "C" fn(callee, vmctx, caller_vmctx, values: *mut ValRaw)`.
    #[inline]
    pub fn array_trampoline(&self, ty: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe {
            self.base()
                .add(self.tables.array_trampolines[ty as usize] as usize)
        }
    }

    /// Wasm-to-host trampoline of type `ty` (wasm calling convention).
    pub fn host_trampoline(&self, ty: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe {
            self.base()
                .add(self.tables.host_trampolines[ty as usize] as usize)
        }
    }

    /// The address range of each defined function's code.
    pub(crate) fn func_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let base = self.base() as usize;
        self.tables
            .funcs
            .iter()
            .map(move |r| base + r.start as usize..base + r.end as usize)
    }

    /// The address range of each type's array-call trampoline.
    pub(crate) fn array_trampoline_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.trampoline_ranges(&self.tables.array_trampolines)
    }

    /// The address range of each type's wasm-to-host trampoline.
    pub(crate) fn host_trampoline_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.trampoline_ranges(&self.tables.host_trampolines)
    }

    /// Trampolines record only where they start: each ends where the next
    /// piece of code starts (alignment padding included), the last at the
    /// image's end.
    fn trampoline_ranges<'a>(
        &'a self,
        starts: &'a [u32],
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        let t = &self.tables;
        let mut all: Vec<u32> = t.funcs.iter().map(|r| r.start).collect();
        all.extend(&t.array_trampolines);
        all.extend(&t.host_trampolines);
        all.sort_unstable();
        let base = self.base() as usize;
        let len = self.len as u32;
        starts.iter().map(move |&s| {
            let i = all.partition_point(|&o| o <= s);
            let end = all.get(i).copied().unwrap_or(len);
            base + s as usize..base + end as usize
        })
    }

    /// The trap code recorded for the instruction at `pc`, if any.
    pub fn trap_at(&self, pc: usize) -> Option<TrapCode> {
        let off = u32::try_from(pc.checked_sub(self.base() as usize)?).ok()?;
        let i = self
            .tables
            .traps
            .binary_search_by_key(&off, |(o, _)| *o)
            .ok()?;
        Some(self.tables.traps[i].1)
    }

    /// The defined function containing `pc` and the source location of
    /// the instruction there (see [`INLINED`]), if `pc` is inside a wasm
    /// function.
    fn loc_at(&self, pc: usize) -> Option<(u32, Option<u32>)> {
        let off = u32::try_from(pc.checked_sub(self.base() as usize)?).ok()?;
        let i = self.tables.funcs.partition_point(|r| r.end <= off);
        let r = self.tables.funcs.get(i)?;
        if !r.contains(&off) {
            return None;
        }
        let j = self.tables.addr_map.partition_point(|(o, _)| *o <= off);
        let loc = j
            .checked_sub(1)
            .map(|j| self.tables.addr_map[j])
            .filter(|(o, _)| r.contains(o))
            .map(|(_, w)| w);
        Some((i as u32, loc))
    }

    /// Whether `pc` is inside a wasm function's code.
    pub fn contains_func_code(&self, pc: usize) -> bool {
        self.loc_at(pc).is_some()
    }

    /// The wasm frames the instruction at `pc` belongs to, innermost
    /// first, as (defined function index, wasm offset if known): one frame,
    /// or more where calls were inlined (the inlined functions, then the
    /// function the code belongs to). Empty if `pc` is not in a wasm
    /// function.
    pub fn frames_at(&self, pc: usize) -> Vec<(u32, Option<u32>)> {
        let Some((func, mut loc)) = self.loc_at(pc) else {
            return Vec::new();
        };
        let mut frames = Vec::new();
        // Each step moves to an earlier frame (checked on load), so this
        // ends.
        while let Some(l) = loc.filter(|l| l & INLINED != 0) {
            // Loaded tables were checked; built ones are right by
            // construction. Either way, an index past the table means an
            // unknown offset, never a panic on a trap's path.
            let Some(f) = self.tables.inlined.get((l & !INLINED) as usize) else {
                loc = None;
                break;
            };
            frames.push((f.func, Some(f.offset)));
            loc = Some(f.caller);
        }
        frames.push((func, loc));
        frames
    }
}

/// Patches one relocation in `image`.
fn apply_reloc(
    image: &mut [u8],
    at: u32,
    kind: cranelift_codegen::binemit::Reloc,
    target: u32,
    addend: i64,
) -> Result<()> {
    use cranelift_codegen::binemit::Reloc as R;
    let delta = i64::from(target) + addend - i64::from(at);
    let site: &mut [u8; 4] = image
        .get_mut(at as usize..at as usize + 4)
        .and_then(|s| s.try_into().ok())
        .context("relocation past the code")?;
    match kind {
        R::X86CallPCRel4 | R::X86PCRel4 => {
            let v = i32::try_from(delta).context("call out of range")?;
            *site = v.to_le_bytes();
        }
        R::Arm64Call => {
            anyhow::ensure!(
                delta % 4 == 0 && (-(1 << 27)..1 << 27).contains(&delta),
                "call out of range: aarch64 code images are limited to 128 MiB"
            );
            let insn = u32::from_le_bytes(*site);
            let imm26 = ((delta >> 2) as u32) & 0x03ff_ffff;
            *site = ((insn & 0xfc00_0000) | imm26).to_le_bytes();
        }
        other => anyhow::bail!("unsupported relocation {other:?}"),
    }
    Ok(())
}
