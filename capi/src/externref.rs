//! `wasmtime/externref.h`: references to host data that wasm can hold
//! (`externref`). Kiln keeps a reference's data until its store is
//! deleted, then runs its finalizer; rooting is therefore a no-op.

use crate::ffi::Finalized;
use crate::store::wasmtime_context_t;
use anyhow::Result;
use kiln_runtime::ExternRef;
use std::ffi::c_void;

/// `wasmtime_externref_t`: store id (0 = null), then the reference's
/// index in the store.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_externref_t {
    pub store_id: u64,
    pub private1: u32,
    pub private2: u32,
    pub private3: *mut c_void,
}

impl wasmtime_externref_t {
    pub(crate) const NULL: wasmtime_externref_t = wasmtime_externref_t {
        store_id: 0,
        private1: 0,
        private2: 0,
        private3: std::ptr::null_mut(),
    };

    pub(crate) fn from_ref(r: Option<ExternRef>) -> wasmtime_externref_t {
        match r {
            None => Self::NULL,
            Some(r) => {
                let (store_id, index) = r.to_raw_parts();
                wasmtime_externref_t {
                    store_id,
                    private1: index,
                    private2: 0,
                    private3: std::ptr::null_mut(),
                }
            }
        }
    }

    /// The reference (`None` for null), checked against the store.
    pub(crate) fn to_ref(self, store_id: u64) -> Result<Option<ExternRef>> {
        if self.store_id == 0 {
            return Ok(None);
        }
        anyhow::ensure!(self.store_id == store_id, "an externref of another store");
        Ok(Some(ExternRef::from_raw_parts(
            self.store_id,
            self.private1,
        )))
    }
}

/// The data behind a C `externref`: the embedder's pointer, finalized
/// with the store.
struct CExternData(Finalized);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_externref_new(
    context: *mut wasmtime_context_t,
    data: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
    out: *mut wasmtime_externref_t,
) -> bool {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let r = ExternRef::new(&mut ctx, CExternData(Finalized::new(data, finalizer)));
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        crate::ffi::write_out(
            out,
            wasmtime_externref_t::from_ref(Some(r)),
            "externref out pointer",
        )
    };
    true
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_externref_data(
    context: *mut wasmtime_context_t,
    r: &wasmtime_externref_t,
) -> *mut c_void {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    match r.to_ref(ctx.id()) {
        Ok(Some(r)) => match r.data(&ctx).downcast_ref::<CExternData>() {
            Some(d) => d.0.data,
            None => std::ptr::null_mut(),
        },
        Ok(None) => std::ptr::null_mut(),
        Err(_) => crate::ffi::wrong_store("wasmtime_externref_t"),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_externref_clone(
    r: &wasmtime_externref_t,
    out: *mut wasmtime_externref_t,
) {
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::ffi::write_out(out, *r, "externref out pointer") }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_externref_unroot(_r: &mut wasmtime_externref_t) {
    // Kiln references are not rooted: they live as long as their store.
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_externref_from_raw(
    context: *mut wasmtime_context_t,
    raw: u32,
    out: *mut wasmtime_externref_t,
) {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    let r = ExternRef::from_raw(&ctx, raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        crate::ffi::write_out(
            out,
            wasmtime_externref_t::from_ref(r),
            "externref out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_externref_to_raw(
    context: *mut wasmtime_context_t,
    r: &wasmtime_externref_t,
) -> u32 {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    match r.to_ref(ctx.id()) {
        Ok(Some(r)) => r.to_raw(&ctx),
        Ok(None) => 0,
        Err(_) => crate::ffi::wrong_store("wasmtime_externref_t"),
    }
}
