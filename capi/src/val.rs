//! `wasmtime/val.h`: `wasmtime_val_t`, `wasmtime_val_raw_t`, and their
//! conversions to the runtime's `Val`.

use crate::r#extern::wasmtime_func_t;
use crate::externref::wasmtime_externref_t;
use anyhow::{Result, bail};
use kiln_runtime::Val;

pub const WASMTIME_I32: u8 = 0;
pub const WASMTIME_I64: u8 = 1;
pub const WASMTIME_F32: u8 = 2;
pub const WASMTIME_F64: u8 = 3;
pub const WASMTIME_V128: u8 = 4;
pub const WASMTIME_FUNCREF: u8 = 5;
pub const WASMTIME_EXTERNREF: u8 = 6;
pub const WASMTIME_ANYREF: u8 = 7;
pub const WASMTIME_EXNREF: u8 = 8;

/// `wasmtime_anyref_t` / `wasmtime_exnref_t`: only for the union's layout
/// (Kiln has no GC or exception references).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OpaqueRef {
    pub store_id: u64,
    pub private1: u32,
    pub private2: u32,
    pub private3: *mut std::ffi::c_void,
}

/// `wasmtime_valunion_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasmtime_valunion_t {
    pub i32: i32,
    pub i64: i64,
    pub f32: f32,
    pub f64: f64,
    pub anyref: OpaqueRef,
    pub externref: wasmtime_externref_t,
    pub exnref: OpaqueRef,
    pub funcref: wasmtime_func_t,
    pub v128: [u8; 16],
}

/// `wasmtime_val_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_val_t {
    pub kind: u8,
    pub of: wasmtime_valunion_t,
}

/// `wasmtime_val_raw_t`: 16 bytes, little-endian, 8-byte aligned (the
/// runtime's `ValRaw` has the same bytes, aligned to 16).
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct wasmtime_val_raw_t(pub [u8; 16]);

impl wasmtime_val_t {
    /// The C value of `val`.
    pub(crate) fn from_val(val: &Val) -> wasmtime_val_t {
        let (kind, of) = match *val {
            Val::I32(v) => (WASMTIME_I32, wasmtime_valunion_t { i32: v }),
            Val::I64(v) => (WASMTIME_I64, wasmtime_valunion_t { i64: v }),
            Val::F32(bits) => (
                WASMTIME_F32,
                wasmtime_valunion_t {
                    f32: f32::from_bits(bits),
                },
            ),
            Val::F64(bits) => (
                WASMTIME_F64,
                wasmtime_valunion_t {
                    f64: f64::from_bits(bits),
                },
            ),
            Val::FuncRef(f) => (
                WASMTIME_FUNCREF,
                wasmtime_valunion_t {
                    funcref: wasmtime_func_t::from_funcref(f),
                },
            ),
            Val::ExternRef(e) => (
                WASMTIME_EXTERNREF,
                wasmtime_valunion_t {
                    externref: wasmtime_externref_t::from_ref(e),
                },
            ),
        };
        wasmtime_val_t { kind, of }
    }

    /// The runtime value, checked against the store it is used in.
    ///
    /// # Errors
    ///
    /// A kind Kiln does not have (v128, anyref, exnref) or an unknown one;
    /// a reference of another store.
    pub(crate) fn to_val(self, store_id: u64) -> Result<Val> {
        // SAFETY: `kind` says which field is initialized (the C API's
        // contract); every field is plain data.
        Ok(unsafe {
            match self.kind {
                WASMTIME_I32 => Val::I32(self.of.i32),
                WASMTIME_I64 => Val::I64(self.of.i64),
                WASMTIME_F32 => Val::F32(self.of.f32.to_bits()),
                WASMTIME_F64 => Val::F64(self.of.f64.to_bits()),
                WASMTIME_FUNCREF => {
                    let f = self.of.funcref;
                    if f.store_id == 0 {
                        Val::FuncRef(None)
                    } else {
                        anyhow::ensure!(f.store_id == store_id, "a funcref of another store");
                        Val::FuncRef(Some(f.func(store_id)))
                    }
                }
                WASMTIME_EXTERNREF => Val::ExternRef(self.of.externref.to_ref(store_id)?),
                WASMTIME_V128 => bail!("v128 values are not supported by Kiln (no SIMD)"),
                WASMTIME_ANYREF => bail!("anyref values are not supported by Kiln (no GC)"),
                WASMTIME_EXNREF => bail!("exnref values are not supported by Kiln (no exceptions)"),
                k => bail!("invalid wasmtime_val_t kind {k}"),
            }
        })
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_val_unroot(_val: &mut wasmtime_val_t) {
    // References in Kiln are not rooted (they live as long as their
    // store), so releasing a root has nothing to do.
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_val_clone(src: &wasmtime_val_t, dst: *mut wasmtime_val_t) {
    // Values are plain data (a reference is a store index): a clone is a
    // copy. SAFETY: `dst` is writable (the header's contract).
    unsafe { crate::ffi::write_out(dst, *src, "wasmtime_val_t out pointer") }
}

/// Checks at compile time that the layouts match Wasmtime's.
const _: () = {
    assert!(std::mem::size_of::<wasmtime_valunion_t>() == 24);
    assert!(std::mem::size_of::<wasmtime_val_t>() == 32);
    assert!(std::mem::size_of::<wasmtime_val_raw_t>() == 16);
    assert!(std::mem::align_of::<wasmtime_val_raw_t>() == 8);
    assert!(std::mem::size_of::<crate::r#extern::wasmtime_extern_t>() == 32);
    assert!(std::mem::size_of::<crate::r#extern::wasmtime_table_t>() == 24);
    assert!(std::mem::size_of::<crate::r#extern::wasmtime_global_t>() == 24);
    assert!(std::mem::size_of::<crate::r#extern::wasmtime_func_t>() == 16);
};
