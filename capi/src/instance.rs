//! `wasmtime/instance.h`: instances and instance-pres, as the reference
//! page of the header specifies them. Each instantiation ends in exactly
//! one of three ways: an error (returned), a trap (written to the trap
//! out pointer), or an instance (written to the instance out pointer).

use crate::error::wasmtime_error_t;
use crate::r#extern::wasmtime_extern_t;
use crate::module::wasmtime_module_t;
use crate::store::{StoreData, wasmtime_context_t, wasmtime_store_t};
use crate::trap::wasm_trap_t;
use kiln_runtime::{Instance, InstancePre};

/// `wasmtime_instance_t`: a store id and the instance's index in it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasmtime_instance_t {
    pub store_id: u64,
    pub private: usize,
}

impl wasmtime_instance_t {
    pub(crate) fn from_instance(i: Instance) -> wasmtime_instance_t {
        let (store_id, index) = i.to_raw_parts();
        wasmtime_instance_t {
            store_id,
            private: index as usize,
        }
    }

    /// The instance, checked against the store it is used with: aborts on
    /// a mismatch (as Wasmtime does).
    pub(crate) fn instance(&self, store_id: u64) -> Instance {
        if self.store_id != store_id {
            crate::ffi::wrong_store("wasmtime_instance_t");
        }
        let index = u32::try_from(self.private)
            .unwrap_or_else(|_| crate::ffi::wrong_store("corrupt wasmtime_instance_t"));
        Instance::from_raw_parts(self.store_id, index)
    }
}

/// An instance-pre: a module with its imports resolved by a linker,
/// ready to instantiate in any store of the engine.
pub struct wasmtime_instance_pre_t {
    pub(crate) pre: InstancePre<StoreData>,
}

impl wasmtime_instance_pre_t {
    /// A new handle to `pre`, owned by C.
    pub(crate) fn into_raw(pre: InstancePre<StoreData>) -> *mut wasmtime_instance_pre_t {
        Box::into_raw(Box::new(wasmtime_instance_pre_t { pre }))
    }
}

/// Writes the outcome of an instantiation: the instance, or a trap, or
/// an error (returned); the other out parameters are cleared.
///
/// # Safety
///
/// `instance` and `trap` are writable (NULL `trap` aborts).
pub(crate) unsafe fn finish(
    result: anyhow::Result<Instance>,
    instance: *mut wasmtime_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: the caller's contract.
    unsafe { crate::ffi::write_out(trap, std::ptr::null_mut(), "wasm_trap_t out pointer") };
    match result {
        Ok(i) => {
            // SAFETY: the caller's contract.
            unsafe {
                crate::ffi::write_out(
                    instance,
                    wasmtime_instance_t::from_instance(i),
                    "wasmtime_instance_t out pointer",
                )
            };
            None
        }
        // SAFETY: the caller's contract.
        Err(e) => unsafe { crate::func::trap_or_error(e, trap) },
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_instance_new(
    context: *mut wasmtime_context_t,
    module: &wasmtime_module_t,
    imports: *const wasmtime_extern_t,
    nimports: usize,
    instance: *mut wasmtime_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // SAFETY: `nimports` items at `imports` (the header's contract).
    let imports = unsafe { crate::ffi::slice(imports, nimports) };
    let result = imports
        .iter()
        .map(|e| e.to_extern_any())
        .collect::<anyhow::Result<Vec<_>>>()
        .and_then(|imports| Instance::new(&mut ctx, &module.module, &imports));
    // SAFETY: writable out pointers (the header's contract).
    unsafe { finish(result, instance, trap) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_instance_export_get(
    context: *mut wasmtime_context_t,
    instance: &wasmtime_instance_t,
    name: *const u8,
    name_len: usize,
    item: *mut wasmtime_extern_t,
) -> bool {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let i = instance.instance(ctx.id());
    // SAFETY: `name_len` bytes at `name` (the header's contract).
    let Ok(name) = (unsafe { crate::ffi::str(name, name_len, "export name") }) else {
        return false;
    };
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::r#extern::write_found(i.get_export(&mut ctx, name), item) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_instance_export_nth(
    context: *mut wasmtime_context_t,
    instance: &wasmtime_instance_t,
    index: usize,
    name: *mut *const u8,
    name_len: *mut usize,
    item: *mut wasmtime_extern_t,
) -> bool {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    let i = instance.instance(ctx.id());
    let Some((export_name, e)) = i.export_nth(&ctx, index) else {
        return false;
    };
    // The name is the module's, which the store keeps as long as the
    // instance: valid at least until the next call on the store.
    // SAFETY: writable out pointers (the header's contract).
    unsafe {
        crate::ffi::write_out(name, export_name.as_ptr(), "export name out pointer");
        crate::ffi::write_out(
            name_len,
            export_name.len(),
            "export name length out pointer",
        );
        crate::r#extern::write_found(Some(e), item)
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_instance_pre_delete(instance_pre: Option<Box<wasmtime_instance_pre_t>>) {
    drop(instance_pre);
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_instance_pre_instantiate(
    instance_pre: &wasmtime_instance_pre_t,
    store: *mut wasmtime_store_t,
    instance: *mut wasmtime_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // The store and its context share one address.
    // SAFETY: a live store (the header's contract).
    let mut ctx = unsafe { crate::store::context(store) };
    let result = instance_pre.pre.instantiate(&mut ctx);
    // SAFETY: writable out pointers (the header's contract).
    unsafe { finish(result, instance, trap) }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_instance_pre_module(
    instance_pre: &wasmtime_instance_pre_t,
) -> Box<wasmtime_module_t> {
    Box::new(wasmtime_module_t {
        module: instance_pre.pre.module().clone(),
    })
}
