//! The code image of a module: function bodies and trampolines laid out in
//! one block of executable memory, with the tables the runtime needs to map
//! a program counter back to a function, a trap code and a wasm offset.
//!
//! Invariants: `funcs` ranges are sorted and disjoint; `traps` and
//! `addr_map` are sorted by code offset; the memory is never written after
//! it is made executable, so lookups need no lock.

use crate::TrapCode;
use anyhow::{Context as _, Result};
use std::ops::Range;

/// One compiled function, or trampoline, before layout.
pub(crate) struct CompiledCode {
    pub bytes: Vec<u8>,
    pub relocs: Vec<Reloc>,
    /// (offset in this function, trap code).
    pub traps: Vec<(u32, TrapCode)>,
    /// (offset in this function, wasm byte offset).
    pub addr_map: Vec<(u32, u32)>,
    pub alignment: u32,
}

/// A call from one function to a defined function of the same module.
pub(crate) struct Reloc {
    pub offset: u32,
    pub kind: cranelift_codegen::binemit::Reloc,
    /// Index among the module's *defined* functions.
    pub target: u32,
    pub addend: i64,
}

/// Executable memory holding a module's code.
pub struct CodeImage {
    mem: region::Allocation,
    len: usize,
    /// Code range of each defined function.
    funcs: Vec<Range<u32>>,
    /// Array-call entry trampoline of each type-section type.
    array_trampolines: Vec<u32>,
    /// Wasm-to-host trampoline of each type-section type.
    host_trampolines: Vec<u32>,
    traps: Vec<(u32, TrapCode)>,
    addr_map: Vec<(u32, u32)>,
}

// SAFETY: the image is immutable once built (read and executed only), and
// `region::Allocation` is just an owned mapping.
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
    ) -> Result<CodeImage> {
        let nfuncs = funcs.len();
        let narray = array.len();
        let all: Vec<CompiledCode> = funcs.into_iter().chain(array).chain(host).collect();
        let mut starts = Vec::with_capacity(all.len());
        let mut at = 0u32;
        for code in &all {
            at = at.next_multiple_of(code.alignment.max(16));
            starts.push(at);
            at += code.bytes.len() as u32;
        }
        let len = (at as usize).max(1);
        let mut mem =
            region::alloc(len, region::Protection::READ_WRITE).context("allocating code memory")?;
        let image = mem.as_mut_ptr::<u8>();
        let mut traps = Vec::new();
        let mut addr_map = Vec::new();
        for (code, &start) in all.iter().zip(&starts) {
            // SAFETY: `start + len` lies within the allocation of `len` bytes
            // computed from these very sizes, and the regions are disjoint.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    code.bytes.as_ptr(),
                    image.add(start as usize),
                    code.bytes.len(),
                );
            }
            for r in &code.relocs {
                let at = start + r.offset;
                let target = starts[r.target as usize];
                // SAFETY: `at` is a relocation site inside this function's
                // bytes, within the allocation.
                unsafe { apply_reloc(image, at, r.kind, target, r.addend)? };
            }
            traps.extend(code.traps.iter().map(|(off, t)| (start + off, *t)));
            addr_map.extend(code.addr_map.iter().map(|(off, w)| (start + off, *w)));
        }
        // SAFETY: the allocation is ours and fully written; from here on it
        // is only read and executed.
        unsafe {
            region::protect(image, len, region::Protection::READ_EXECUTE)
                .context("making code executable")?;
        }
        let range_of = |i: usize| starts[i]..starts[i] + all[i].bytes.len() as u32;
        Ok(CodeImage {
            mem,
            len,
            funcs: (0..nfuncs).map(range_of).collect(),
            array_trampolines: (nfuncs..nfuncs + narray).map(|i| starts[i]).collect(),
            host_trampolines: (nfuncs + narray..all.len()).map(|i| starts[i]).collect(),
            traps,
            addr_map,
        })
    }

    /// The address range of the whole image.
    pub fn range(&self) -> Range<usize> {
        let base = self.mem.as_ptr::<u8>() as usize;
        base..base + self.len
    }

    fn base(&self) -> *const u8 {
        self.mem.as_ptr::<u8>()
    }

    /// Entry point of defined function `i` (wasm calling convention).
    #[inline]
    pub fn func_ptr(&self, defined_index: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe {
            self.base()
                .add(self.funcs[defined_index as usize].start as usize)
        }
    }

    /// Array-call trampoline of type `ty`:
    /// `extern "C" fn(callee, vmctx, caller_vmctx, values: *mut ValRaw)`.
    #[inline]
    pub fn array_trampoline(&self, ty: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe {
            self.base()
                .add(self.array_trampolines[ty as usize] as usize)
        }
    }

    /// Wasm-to-host trampoline of type `ty` (wasm calling convention).
    pub fn host_trampoline(&self, ty: u32) -> *const u8 {
        // SAFETY: the offset is inside the image.
        unsafe { self.base().add(self.host_trampolines[ty as usize] as usize) }
    }

    /// The trap code recorded for the instruction at `pc`, if any.
    pub fn trap_at(&self, pc: usize) -> Option<TrapCode> {
        let off = u32::try_from(pc.checked_sub(self.base() as usize)?).ok()?;
        let i = self.traps.binary_search_by_key(&off, |(o, _)| *o).ok()?;
        Some(self.traps[i].1)
    }

    /// The defined function containing `pc` and the wasm offset of the
    /// instruction there, if `pc` is inside a wasm function.
    pub fn func_at(&self, pc: usize) -> Option<(u32, Option<u32>)> {
        let off = u32::try_from(pc.checked_sub(self.base() as usize)?).ok()?;
        let i = self.funcs.partition_point(|r| r.end <= off);
        let r = self.funcs.get(i)?;
        if !r.contains(&off) {
            return None;
        }
        let j = self.addr_map.partition_point(|(o, _)| *o <= off);
        let wasm = j
            .checked_sub(1)
            .map(|j| self.addr_map[j])
            .filter(|(o, _)| r.contains(o))
            .map(|(_, w)| w);
        Some((i as u32, wasm))
    }
}

/// Patches one relocation.
///
/// # Safety
///
/// `image + at` must be a relocation site of kind `kind` inside writable memory.
unsafe fn apply_reloc(
    image: *mut u8,
    at: u32,
    kind: cranelift_codegen::binemit::Reloc,
    target: u32,
    addend: i64,
) -> Result<()> {
    use cranelift_codegen::binemit::Reloc as R;
    let delta = i64::from(target) + addend - i64::from(at);
    // SAFETY: the caller guarantees the site is in writable memory.
    let site = unsafe { image.add(at as usize) };
    match kind {
        R::X86CallPCRel4 | R::X86PCRel4 => {
            let v = i32::try_from(delta).context("call out of range")?;
            // SAFETY: a 4-byte field at the site; unaligned write.
            unsafe { site.cast::<i32>().write_unaligned(v) };
        }
        R::Arm64Call => {
            anyhow::ensure!(delta % 4 == 0 && (-(1 << 27)..1 << 27).contains(&delta));
            // SAFETY: a 4-byte instruction at the site.
            unsafe {
                let insn = site.cast::<u32>().read_unaligned();
                let imm26 = ((delta >> 2) as u32) & 0x03ff_ffff;
                site.cast::<u32>()
                    .write_unaligned((insn & 0xfc00_0000) | imm26);
            }
        }
        other => anyhow::bail!("unsupported relocation {other:?}"),
    }
    Ok(())
}
