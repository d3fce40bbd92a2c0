//! The object part of the standard `wasm.h`: references (`wasm_ref_t`)
//! and everything that is one — externs (functions, globals, tables,
//! memories), instances, modules, foreign objects and traps — over
//! `wasm_store_t`.
//!
//! Every such object starts with a [`wasm_ref_t`] header (`repr(C)`), so
//! `wasm_x_as_ref` is a pointer cast and `wasm_ref_as_x` checks the
//! header's kind. Each C object is owned by the caller that received it
//! and carries its own host info. Objects made in a store hold a reference
//! to it, so the store's contents live until the last of them is deleted.

use crate::ffi::Finalized;
use crate::store::{StoreData, WasmStore, wasm_store_t};
use crate::trap::wasm_trap_t;
use crate::types::{
    wasm_externtype_t, wasm_functype_t, wasm_globaltype_t, wasm_memorytype_t, wasm_tabletype_t,
    wasm_val_t,
};
use crate::vec::{
    wasm_byte_vec_t, wasm_exporttype_vec_t, wasm_extern_vec_t, wasm_importtype_vec_t,
    wasm_val_vec_t,
};
use anyhow::{Result, anyhow, bail};
use kiln_runtime::vm::ValRaw;
use kiln_runtime::{
    Caller, Extern, Func, FuncType, Global, Instance, Memory, Module, Table, Val, ValType,
};
use std::ffi::c_void;
use std::sync::Arc;

/// What a `wasm_ref_t` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RefKind {
    Extern,
    Instance,
    Module,
    Foreign,
    Trap,
}

/// The header of every `wasm.h` reference object; a `wasm_ref_t *` points
/// to the header of some object.
#[repr(C)]
pub struct wasm_ref_t {
    kind: RefKind,
    host_info: Finalized,
}

impl wasm_ref_t {
    pub(crate) fn new(kind: RefKind) -> wasm_ref_t {
        wasm_ref_t {
            kind,
            host_info: Finalized::none(),
        }
    }
}

/// A function, global, table or memory of a store.
#[repr(C)]
pub struct wasm_extern_t {
    header: wasm_ref_t,
    pub(crate) store: Arc<WasmStore>,
    pub(crate) which: Extern,
}

impl wasm_extern_t {
    pub(crate) fn new(store: Arc<WasmStore>, which: Extern) -> Box<wasm_extern_t> {
        Box::new(wasm_extern_t {
            header: wasm_ref_t::new(RefKind::Extern),
            store,
            which,
        })
    }
}

/// Declares a `wasm_extern_t` subtype: same layout, a pointer cast away.
macro_rules! extern_subtype {
    ($name:ident, $variant:ident, $as_extern:ident, $as_extern_const:ident,
     $extern_as:ident, $extern_as_const:ident) => {
        #[doc = concat!("An extern that is a ", stringify!($variant), ".")]
        #[repr(transparent)]
        pub struct $name {
            pub(crate) ext: wasm_extern_t,
        }

        impl $name {
            fn boxed(store: Arc<WasmStore>, item: Extern) -> Box<$name> {
                let ext = wasm_extern_t::new(store, item);
                // SAFETY: `repr(transparent)` over `wasm_extern_t`.
                unsafe { Box::from_raw(Box::into_raw(ext).cast::<$name>()) }
            }
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_extern(x: &mut $name) -> &mut wasm_extern_t {
            &mut x.ext
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_extern_const(x: &$name) -> &wasm_extern_t {
            &x.ext
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $extern_as(e: &mut wasm_extern_t) -> Option<&mut $name> {
            match e.which {
                Extern::$variant(_) => {
                    // SAFETY: `repr(transparent)` over `wasm_extern_t`.
                    Some(unsafe { &mut *(e as *mut wasm_extern_t).cast::<$name>() })
                }
                _ => None,
            }
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $extern_as_const(e: &wasm_extern_t) -> Option<&$name> {
            match e.which {
                Extern::$variant(_) => {
                    // SAFETY: `repr(transparent)` over `wasm_extern_t`.
                    Some(unsafe { &*(e as *const wasm_extern_t).cast::<$name>() })
                }
                _ => None,
            }
        }
    };
}

extern_subtype!(
    wasm_func_t,
    Func,
    wasm_func_as_extern,
    wasm_func_as_extern_const,
    wasm_extern_as_func,
    wasm_extern_as_func_const
);
extern_subtype!(
    wasm_global_t,
    Global,
    wasm_global_as_extern,
    wasm_global_as_extern_const,
    wasm_extern_as_global,
    wasm_extern_as_global_const
);
extern_subtype!(
    wasm_table_t,
    Table,
    wasm_table_as_extern,
    wasm_table_as_extern_const,
    wasm_extern_as_table,
    wasm_extern_as_table_const
);
extern_subtype!(
    wasm_memory_t,
    Memory,
    wasm_memory_as_extern,
    wasm_memory_as_extern_const,
    wasm_extern_as_memory,
    wasm_extern_as_memory_const
);

/// An instance of a module in a `wasm_store_t`.
#[repr(C)]
pub struct wasm_instance_t {
    header: wasm_ref_t,
    store: Arc<WasmStore>,
    instance: Instance,
}

/// A compiled module.
#[repr(C)]
pub struct wasm_module_t {
    header: wasm_ref_t,
    pub(crate) module: Module,
}

/// A module shared with other threads (`wasm_module_share`).
pub struct wasm_shared_module_t {
    module: Module,
}

/// A host object with only host info.
#[repr(C)]
pub struct wasm_foreign_t {
    header: wasm_ref_t,
}

/// A copy of the object behind `r`, as a reference.
pub(crate) fn ref_copy(r: &wasm_ref_t) -> *mut wasm_ref_t {
    let ptr = r as *const wasm_ref_t;
    // SAFETY: `kind` says which object the header starts (every object
    // with this header is `repr(C)` with it first).
    unsafe {
        match r.kind {
            RefKind::Extern => Box::into_raw(extern_copy(&*ptr.cast())).cast(),
            RefKind::Instance => Box::into_raw(wasm_instance_copy(&*ptr.cast())).cast(),
            RefKind::Module => Box::into_raw(wasm_module_copy(&*ptr.cast())).cast(),
            RefKind::Foreign => Box::into_raw(wasm_foreign_new_internal()).cast(),
            RefKind::Trap => Box::into_raw(crate::trap::wasm_trap_copy(&*ptr.cast())).cast(),
        }
    }
}

/// Deletes the object behind `r`.
///
/// # Safety
///
/// `r` is NULL or an owned reference (from the API) not used afterwards.
pub(crate) unsafe fn ref_delete(r: *mut wasm_ref_t) {
    if r.is_null() {
        return;
    }
    // SAFETY: as for `ref_copy`; the object was boxed by this library.
    unsafe {
        match (*r).kind {
            RefKind::Extern => drop(Box::from_raw(r.cast::<wasm_extern_t>())),
            RefKind::Instance => drop(Box::from_raw(r.cast::<wasm_instance_t>())),
            RefKind::Module => drop(Box::from_raw(r.cast::<wasm_module_t>())),
            RefKind::Foreign => drop(Box::from_raw(r.cast::<wasm_foreign_t>())),
            RefKind::Trap => drop(Box::from_raw(r.cast::<wasm_trap_t>())),
        }
    }
}

/// A copy of an extern, for extern vectors.
pub(crate) fn extern_copy(e: &wasm_extern_t) -> Box<wasm_extern_t> {
    wasm_extern_t::new(e.store.clone(), e.which)
}

/// Defines the reference functions of object type `$t` (with header
/// field path `$($h).+`): delete, copy, same, host info, and the casts to
/// and from `wasm_ref_t`.
macro_rules! ref_functions {
    ($t:ident, $kind:ident, $delete:ident, $copy:ident, $same:ident, $get_info:ident,
     $set_info:ident, $set_info_fin:ident, $as_ref:ident, $as_ref_const:ident,
     $ref_as:ident, $ref_as_const:ident, $copy_fn:expr, $same_fn:expr, $is:expr) => {
        // SAFETY: the reference object types are `repr(C)` (or
        // `repr(transparent)` over one) with a `wasm_ref_t` first.
        unsafe impl RefObject for $t {}

        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(x: Option<Box<$t>>) {
            drop(x);
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy(x: &$t) -> Box<$t> {
            $copy_fn(x)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $same(a: &$t, b: &$t) -> bool {
            $same_fn(a, b)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $get_info(x: &$t) -> *mut c_void {
            header(x).host_info.data
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $set_info(x: &mut $t, info: *mut c_void) {
            header_mut(x).host_info = Finalized::new(info, None);
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $set_info_fin(
            x: &mut $t,
            info: *mut c_void,
            finalizer: Option<extern "C" fn(*mut c_void)>,
        ) {
            header_mut(x).host_info = Finalized::new(info, finalizer);
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ref(x: &mut $t) -> &mut wasm_ref_t {
            header_mut(x)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ref_const(x: &$t) -> &wasm_ref_t {
            header(x)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ref_as(r: &mut wasm_ref_t) -> Option<&mut $t> {
            if r.kind != RefKind::$kind {
                return None;
            }
            // SAFETY: the kind says the header starts a `$t`'s base.
            let x = unsafe { &mut *(r as *mut wasm_ref_t).cast::<$t>() };
            $is(&*x).then_some(x)
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ref_as_const(r: &wasm_ref_t) -> Option<&$t> {
            if r.kind != RefKind::$kind {
                return None;
            }
            // SAFETY: as above.
            let x = unsafe { &*(r as *const wasm_ref_t).cast::<$t>() };
            $is(x).then_some(x)
        }
    };
}

/// A reference object type.
///
/// # Safety
///
/// Implementors start with a `wasm_ref_t` (`repr(C)`, or
/// `repr(transparent)` over such a type).
unsafe trait RefObject {}

/// The header of a reference object.
fn header<T: RefObject>(x: &T) -> &wasm_ref_t {
    // SAFETY: `T: RefObject` starts with a `wasm_ref_t`.
    unsafe { &*(x as *const T).cast::<wasm_ref_t>() }
}

/// As [`header`], mutably.
fn header_mut<T: RefObject>(x: &mut T) -> &mut wasm_ref_t {
    // SAFETY: as for `header`.
    unsafe { &mut *(x as *mut T).cast::<wasm_ref_t>() }
}

fn extern_same(a: &wasm_extern_t, b: &wasm_extern_t) -> bool {
    a.store.id() == b.store.id()
        && match (a.which, b.which) {
            (Extern::Func(x), Extern::Func(y)) => x.same(&y),
            (Extern::Global(x), Extern::Global(y)) => x.to_raw_parts() == y.to_raw_parts(),
            (Extern::Table(x), Extern::Table(y)) => x.to_raw_parts() == y.to_raw_parts(),
            (Extern::Memory(x), Extern::Memory(y)) => x.to_raw_parts() == y.to_raw_parts(),
            _ => false,
        }
}

macro_rules! extern_ref_functions {
    ($t:ident, $variant:ident, $delete:ident, $copy:ident, $same:ident, $get_info:ident,
     $set_info:ident, $set_info_fin:ident, $as_ref:ident, $as_ref_const:ident,
     $ref_as:ident, $ref_as_const:ident) => {
        ref_functions!(
            $t,
            Extern,
            $delete,
            $copy,
            $same,
            $get_info,
            $set_info,
            $set_info_fin,
            $as_ref,
            $as_ref_const,
            $ref_as,
            $ref_as_const,
            |x: &$t| $t::boxed(x.ext.store.clone(), x.ext.which),
            |a: &$t, b: &$t| extern_same(&a.ext, &b.ext),
            |x: &$t| matches!(x.ext.which, Extern::$variant(_))
        );
    };
}

extern_ref_functions!(
    wasm_func_t,
    Func,
    wasm_func_delete,
    wasm_func_copy,
    wasm_func_same,
    wasm_func_get_host_info,
    wasm_func_set_host_info,
    wasm_func_set_host_info_with_finalizer,
    wasm_func_as_ref,
    wasm_func_as_ref_const,
    wasm_ref_as_func,
    wasm_ref_as_func_const
);
extern_ref_functions!(
    wasm_global_t,
    Global,
    wasm_global_delete,
    wasm_global_copy,
    wasm_global_same,
    wasm_global_get_host_info,
    wasm_global_set_host_info,
    wasm_global_set_host_info_with_finalizer,
    wasm_global_as_ref,
    wasm_global_as_ref_const,
    wasm_ref_as_global,
    wasm_ref_as_global_const
);
extern_ref_functions!(
    wasm_table_t,
    Table,
    wasm_table_delete,
    wasm_table_copy,
    wasm_table_same,
    wasm_table_get_host_info,
    wasm_table_set_host_info,
    wasm_table_set_host_info_with_finalizer,
    wasm_table_as_ref,
    wasm_table_as_ref_const,
    wasm_ref_as_table,
    wasm_ref_as_table_const
);
extern_ref_functions!(
    wasm_memory_t,
    Memory,
    wasm_memory_delete,
    wasm_memory_copy,
    wasm_memory_same,
    wasm_memory_get_host_info,
    wasm_memory_set_host_info,
    wasm_memory_set_host_info_with_finalizer,
    wasm_memory_as_ref,
    wasm_memory_as_ref_const,
    wasm_ref_as_memory,
    wasm_ref_as_memory_const
);

ref_functions!(
    wasm_extern_t,
    Extern,
    wasm_extern_delete,
    wasm_extern_copy,
    wasm_extern_same,
    wasm_extern_get_host_info,
    wasm_extern_set_host_info,
    wasm_extern_set_host_info_with_finalizer,
    wasm_extern_as_ref,
    wasm_extern_as_ref_const,
    wasm_ref_as_extern,
    wasm_ref_as_extern_const,
    extern_copy,
    extern_same,
    |_: &wasm_extern_t| true
);
ref_functions!(
    wasm_instance_t,
    Instance,
    wasm_instance_delete,
    wasm_instance_copy,
    wasm_instance_same,
    wasm_instance_get_host_info,
    wasm_instance_set_host_info,
    wasm_instance_set_host_info_with_finalizer,
    wasm_instance_as_ref,
    wasm_instance_as_ref_const,
    wasm_ref_as_instance,
    wasm_ref_as_instance_const,
    |x: &wasm_instance_t| instance_box(&x.store, x.instance),
    |a: &wasm_instance_t, b: &wasm_instance_t| a.instance.to_raw_parts()
        == b.instance.to_raw_parts(),
    |_: &wasm_instance_t| true
);
ref_functions!(
    wasm_module_t,
    Module,
    wasm_module_delete,
    wasm_module_copy,
    wasm_module_same,
    wasm_module_get_host_info,
    wasm_module_set_host_info,
    wasm_module_set_host_info_with_finalizer,
    wasm_module_as_ref,
    wasm_module_as_ref_const,
    wasm_ref_as_module,
    wasm_ref_as_module_const,
    |x: &wasm_module_t| module_box(x.module.clone()),
    |a: &wasm_module_t, b: &wasm_module_t| Module::same(&a.module, &b.module),
    |_: &wasm_module_t| true
);
ref_functions!(
    wasm_foreign_t,
    Foreign,
    wasm_foreign_delete,
    wasm_foreign_copy,
    wasm_foreign_same,
    wasm_foreign_get_host_info,
    wasm_foreign_set_host_info,
    wasm_foreign_set_host_info_with_finalizer,
    wasm_foreign_as_ref,
    wasm_foreign_as_ref_const,
    wasm_ref_as_foreign,
    wasm_ref_as_foreign_const,
    |_: &wasm_foreign_t| wasm_foreign_new_internal(),
    |a: &wasm_foreign_t, b: &wasm_foreign_t| std::ptr::eq(a, b),
    |_: &wasm_foreign_t| true
);

// Traps: the object functions live in `trap`; these are the reference
// ones.
#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_same(a: &wasm_trap_t, b: &wasm_trap_t) -> bool {
    std::ptr::eq(a, b)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_get_host_info(x: &wasm_trap_t) -> *mut c_void {
    x.header.host_info.data
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_set_host_info(x: &mut wasm_trap_t, info: *mut c_void) {
    x.header.host_info = Finalized::new(info, None);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_set_host_info_with_finalizer(
    x: &mut wasm_trap_t,
    info: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) {
    x.header.host_info = Finalized::new(info, finalizer);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_as_ref(x: &mut wasm_trap_t) -> &mut wasm_ref_t {
    &mut x.header
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_trap_as_ref_const(x: &wasm_trap_t) -> &wasm_ref_t {
    &x.header
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_as_trap(r: &mut wasm_ref_t) -> Option<&mut wasm_trap_t> {
    // SAFETY: the kind says the header starts a trap.
    (r.kind == RefKind::Trap).then(|| unsafe { &mut *(r as *mut wasm_ref_t).cast::<wasm_trap_t>() })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_as_trap_const(r: &wasm_ref_t) -> Option<&wasm_trap_t> {
    // SAFETY: as above.
    (r.kind == RefKind::Trap).then(|| unsafe { &*(r as *const wasm_ref_t).cast::<wasm_trap_t>() })
}

// `wasm_ref_t` itself.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasm_ref_delete(r: *mut wasm_ref_t) {
    // SAFETY: an owned reference (the header's contract).
    unsafe { ref_delete(r) }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_copy(r: Option<&wasm_ref_t>) -> *mut wasm_ref_t {
    r.map_or(std::ptr::null_mut(), ref_copy)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_same(a: Option<&wasm_ref_t>, b: Option<&wasm_ref_t>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return a.is_none() && b.is_none();
    };
    if a.kind != b.kind {
        return false;
    }
    let (pa, pb) = (a as *const wasm_ref_t, b as *const wasm_ref_t);
    // SAFETY: both headers start objects of the kind they record.
    unsafe {
        match a.kind {
            RefKind::Extern => extern_same(&*pa.cast(), &*pb.cast()),
            RefKind::Instance => wasm_instance_same(&*pa.cast(), &*pb.cast()),
            RefKind::Module => wasm_module_same(&*pa.cast(), &*pb.cast()),
            RefKind::Foreign | RefKind::Trap => std::ptr::eq(pa, pb),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_get_host_info(r: &wasm_ref_t) -> *mut c_void {
    r.host_info.data
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_set_host_info(r: &mut wasm_ref_t, info: *mut c_void) {
    r.host_info = Finalized::new(info, None);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_ref_set_host_info_with_finalizer(
    r: &mut wasm_ref_t,
    info: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) {
    r.host_info = Finalized::new(info, finalizer);
}

// Foreign objects.
fn wasm_foreign_new_internal() -> Box<wasm_foreign_t> {
    Box::new(wasm_foreign_t {
        header: wasm_ref_t::new(RefKind::Foreign),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_foreign_new(_store: &wasm_store_t) -> Box<wasm_foreign_t> {
    wasm_foreign_new_internal()
}

// Values.

use crate::types::{WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64};

/// The runtime value of a `wasm_val_t` used in `store`.
pub(crate) fn val_to_rt(v: &wasm_val_t, store: &WasmStore) -> Result<Val> {
    // SAFETY: `kind` says which field is set (the API's contract).
    unsafe {
        Ok(match v.kind {
            WASM_I32 => Val::I32(v.of.i32),
            WASM_I64 => Val::I64(v.of.i64),
            WASM_F32 => Val::F32(v.of.f32.to_bits()),
            WASM_F64 => Val::F64(v.of.f64.to_bits()),
            WASM_FUNCREF => {
                let r = v.of.r#ref;
                if r.is_null() {
                    Val::FuncRef(None)
                } else {
                    let f = wasm_ref_as_func_const(&*r)
                        .ok_or_else(|| anyhow!("a funcref value that is not a function"))?;
                    if f.ext.store.id() != store.id() {
                        bail!("a function of another store");
                    }
                    Val::FuncRef(Some(f.func()))
                }
            }
            WASM_EXTERNREF => {
                if v.of.r#ref.is_null() {
                    Val::ExternRef(None)
                } else {
                    bail!(
                        "non-null externref values are not representable in wasm.h by Kiln; use wasmtime_externref_t"
                    )
                }
            }
            k => bail!("invalid wasm_val_t kind {k}"),
        })
    }
}

/// The `wasm_val_t` of a runtime value of `store`; references become
/// owned `wasm_ref_t`s.
pub(crate) fn val_from_rt(v: Val, store: &Arc<WasmStore>) -> wasm_val_t {
    use crate::types::wasm_val_union;
    let (kind, of) = match v {
        Val::I32(x) => (WASM_I32, wasm_val_union { i32: x }),
        Val::I64(x) => (WASM_I64, wasm_val_union { i64: x }),
        Val::F32(b) => (
            WASM_F32,
            wasm_val_union {
                f32: f32::from_bits(b),
            },
        ),
        Val::F64(b) => (
            WASM_F64,
            wasm_val_union {
                f64: f64::from_bits(b),
            },
        ),
        Val::FuncRef(f) => (
            WASM_FUNCREF,
            wasm_val_union {
                r#ref: match f {
                    Some(f) => {
                        Box::into_raw(wasm_func_t::boxed(store.clone(), Extern::Func(f))).cast()
                    }
                    None => std::ptr::null_mut(),
                },
            },
        ),
        Val::ExternRef(_) => (
            WASM_EXTERNREF,
            wasm_val_union {
                r#ref: std::ptr::null_mut(),
            },
        ),
    };
    wasm_val_t { kind, of }
}

// Functions.

/// `wasm_func_callback_t`.
pub type wasm_func_callback_t =
    extern "C" fn(*const wasm_val_vec_t, *mut wasm_val_vec_t) -> Option<Box<wasm_trap_t>>;
/// `wasm_func_callback_with_env_t`.
pub type wasm_func_callback_with_env_t = extern "C" fn(
    *mut c_void,
    *const wasm_val_vec_t,
    *mut wasm_val_vec_t,
) -> Option<Box<wasm_trap_t>>;

/// A host function of a `wasm_store_t` calling `call(args, results)`.
fn host_func(
    store: &Arc<WasmStore>,
    ty: FuncType,
    call: impl Fn(*const wasm_val_vec_t, *mut wasm_val_vec_t) -> Option<Box<wasm_trap_t>>
    + Send
    + Sync
    + 'static,
) -> Box<wasm_func_t> {
    let weak = Arc::downgrade(store);
    let closure_ty = ty.clone();
    let closure = move |mut caller: Caller<'_, StoreData>, slots: &mut [ValRaw]| -> Result<()> {
        let store = weak
            .upgrade()
            .ok_or_else(|| anyhow!("the function's store was deleted"))?;
        let (params, results) = (closure_ty.params(), closure_ty.results());
        let args: Vec<wasm_val_t> = slots
            .iter()
            .zip(params)
            .map(|(raw, t)| {
                // SAFETY: compiled code passes arguments of the declared
                // types, references of this store.
                val_from_rt(unsafe { Val::from_raw_in(&caller, *raw, *t) }, &store)
            })
            .collect();
        let args = wasm_val_vec_t::from_vec(args);
        let mut outs = wasm_val_vec_t::from_vec(
            results
                .iter()
                .map(|t| val_from_rt(Val::default_for(*t).unwrap_or(Val::I32(0)), &store))
                .collect(),
        );
        let outcome = match call(&args, &mut outs) {
            // The trap's own error (which may carry a trap code) is what
            // the wasm's caller receives.
            Some(trap) => Err(trap.error),
            None => {
                let vals = outs.as_slice().iter().map(|v| val_to_rt(v, &store));
                crate::func::write_results(&mut caller, vals, results, slots)
            }
        };
        drop_val_vec(args);
        drop_val_vec(outs);
        outcome
    };
    let f = {
        let mut ctx = store.context();
        // SAFETY: the closure checks each result before writing it.
        unsafe { Func::new_unchecked(&mut ctx, ty, closure) }
    };
    wasm_func_t::boxed(store.clone(), Extern::Func(f))
}

/// Frees a value vector made here (its references included).
fn drop_val_vec(mut v: wasm_val_vec_t) {
    crate::vec::wasm_val_vec_delete(&mut v);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_new(
    store: &wasm_store_t,
    ty: &wasm_functype_t,
    callback: wasm_func_callback_t,
) -> Box<wasm_func_t> {
    host_func(&store.store, ty.ty(), move |args, results| {
        callback(args, results)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_new_with_env(
    store: &wasm_store_t,
    ty: &wasm_functype_t,
    callback: wasm_func_callback_with_env_t,
    env: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) -> Box<wasm_func_t> {
    let env = Finalized::new(env, finalizer);
    host_func(&store.store, ty.ty(), move |args, results| {
        let env = &env;
        callback(env.data, args, results)
    })
}

impl wasm_func_t {
    fn func(&self) -> Func {
        match self.ext.which {
            Extern::Func(f) => f,
            _ => unreachable!("a wasm_func_t holds a function"),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_type(f: &wasm_func_t) -> Box<wasm_functype_t> {
    let ctx = f.ext.store.context();
    wasm_functype_t::new(f.func().ty(&ctx))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_param_arity(f: &wasm_func_t) -> usize {
    let ctx = f.ext.store.context();
    f.func().ty(&ctx).params().len()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_func_result_arity(f: &wasm_func_t) -> usize {
    let ctx = f.ext.store.context();
    f.func().ty(&ctx).results().len()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasm_func_call(
    f: &wasm_func_t,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> Option<Box<wasm_trap_t>> {
    let store = &f.ext.store;
    // SAFETY: valid vectors (the header's contract); NULL is empty.
    let args = unsafe { args.as_ref() }.map_or(&[][..], |v| v.as_slice());
    let params = match args
        .iter()
        .map(|a| val_to_rt(a, store))
        .collect::<Result<Vec<_>>>()
    {
        Ok(p) => p,
        Err(e) => return Some(wasm_trap_t::new(e)),
    };
    // SAFETY: as above.
    let results = unsafe { results.as_mut() };
    let nresults = results.as_ref().map_or(0, |r| r.as_slice().len());
    let mut outs = vec![Val::I32(0); nresults];
    let outcome = {
        let mut ctx = store.context();
        f.func().call(&mut ctx, &params, &mut outs)
    };
    match outcome {
        Ok(()) => {
            if let Some(results) = results {
                for (slot, v) in results.as_mut_slice().iter_mut().zip(outs) {
                    crate::ffi::init(slot, val_from_rt(v, store));
                }
            }
            None
        }
        Err(e) => Some(wasm_trap_t::new(e)),
    }
}

// Globals.

#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_new(
    store: &wasm_store_t,
    ty: &wasm_globaltype_t,
    val: &wasm_val_t,
) -> Option<Box<wasm_global_t>> {
    let store = &store.store;
    let v = val_to_rt(val, store).ok()?;
    let g = Global::new(&mut store.context(), ty.ty(), v).ok()?;
    Some(wasm_global_t::boxed(store.clone(), Extern::Global(g)))
}

impl wasm_global_t {
    fn global(&self) -> Global {
        match self.ext.which {
            Extern::Global(g) => g,
            _ => unreachable!("a wasm_global_t holds a global"),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_type(g: &wasm_global_t) -> Box<wasm_globaltype_t> {
    let ctx = g.ext.store.context();
    wasm_globaltype_t::new(g.global().ty(&ctx))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_get(g: &wasm_global_t, out: &mut wasm_val_t) {
    let v = {
        let ctx = g.ext.store.context();
        g.global().get(&ctx)
    };
    crate::ffi::init(out, val_from_rt(v, &g.ext.store));
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_global_set(g: &mut wasm_global_t, val: &wasm_val_t) {
    // `wasm.h` has no way to report an error here: a value of the wrong
    // type, or a set of an immutable global, leaves the global unchanged.
    if let Ok(v) = val_to_rt(val, &g.ext.store) {
        let _ = g.global().set(&mut g.ext.store.context(), v);
    }
}

// Tables.

/// The runtime reference of a table element given as `wasm_ref_t`.
fn ref_to_rt(r: Option<&wasm_ref_t>, element: ValType, store: &WasmStore) -> Result<Val> {
    match (element, r) {
        (ValType::FuncRef, None) => Ok(Val::FuncRef(None)),
        (ValType::ExternRef, None) => Ok(Val::ExternRef(None)),
        (ValType::FuncRef, Some(r)) => {
            let f = wasm_ref_as_func_const(r).ok_or_else(|| anyhow!("not a function"))?;
            anyhow::ensure!(
                f.ext.store.id() == store.id(),
                "a function of another store"
            );
            Ok(Val::FuncRef(Some(f.func())))
        }
        _ => bail!("this reference cannot be stored in a table of {element}"),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_new(
    store: &wasm_store_t,
    ty: &wasm_tabletype_t,
    init: Option<&wasm_ref_t>,
) -> Option<Box<wasm_table_t>> {
    let store = &store.store;
    let ty = ty.ty();
    let init = ref_to_rt(init, ty.element(), store).ok()?;
    let t = Table::new(&mut store.context(), ty, init).ok()?;
    Some(wasm_table_t::boxed(store.clone(), Extern::Table(t)))
}

impl wasm_table_t {
    fn table(&self) -> Table {
        match self.ext.which {
            Extern::Table(t) => t,
            _ => unreachable!("a wasm_table_t holds a table"),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_type(t: &wasm_table_t) -> Box<wasm_tabletype_t> {
    let ctx = t.ext.store.context();
    wasm_tabletype_t::new(t.table().declared_ty(&ctx))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_get(t: &wasm_table_t, index: u32) -> *mut wasm_ref_t {
    let v = t.table().get(&mut t.ext.store.context(), u64::from(index));
    match v {
        Some(Val::FuncRef(Some(f))) => {
            Box::into_raw(wasm_func_t::boxed(t.ext.store.clone(), Extern::Func(f))).cast()
        }
        // Null elements, and `externref`s (which `wasm.h` cannot express
        // in Kiln), read as NULL.
        _ => std::ptr::null_mut(),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_set(t: &mut wasm_table_t, index: u32, r: Option<&wasm_ref_t>) -> bool {
    let table = t.table();
    let mut ctx = t.ext.store.context();
    let element = table.ty(&ctx).element();
    match ref_to_rt(r, element, &t.ext.store) {
        Ok(v) => table.set(&mut ctx, u64::from(index), v).is_ok(),
        Err(_) => false,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_size(t: &wasm_table_t) -> u32 {
    let ctx = t.ext.store.context();
    u32::try_from(t.table().size(&ctx)).unwrap_or(u32::MAX)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_table_grow(
    t: &mut wasm_table_t,
    delta: u32,
    init: Option<&wasm_ref_t>,
) -> bool {
    let table = t.table();
    let mut ctx = t.ext.store.context();
    let element = table.ty(&ctx).element();
    match ref_to_rt(init, element, &t.ext.store) {
        Ok(v) => table.grow(&mut ctx, u64::from(delta), v).is_ok(),
        Err(_) => false,
    }
}

// Memories.

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_new(
    store: &wasm_store_t,
    ty: &wasm_memorytype_t,
) -> Option<Box<wasm_memory_t>> {
    let store = &store.store;
    let m = Memory::new(&mut store.context(), ty.ty()).ok()?;
    Some(wasm_memory_t::boxed(store.clone(), Extern::Memory(m)))
}

impl wasm_memory_t {
    fn memory(&self) -> Memory {
        match self.ext.which {
            Extern::Memory(m) => m,
            _ => unreachable!("a wasm_memory_t holds a memory"),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_type(m: &wasm_memory_t) -> Box<wasm_memorytype_t> {
    let ctx = m.ext.store.context();
    wasm_memorytype_t::new(m.memory().declared_ty(&ctx))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_data(m: &mut wasm_memory_t) -> *mut u8 {
    let mut ctx = m.ext.store.context();
    m.memory().data_mut(&mut ctx).as_mut_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_data_size(m: &wasm_memory_t) -> usize {
    let ctx = m.ext.store.context();
    m.memory().data(&ctx).len()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_size(m: &wasm_memory_t) -> u32 {
    let ctx = m.ext.store.context();
    m.memory().size(&ctx) as u32
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memory_grow(m: &mut wasm_memory_t, delta: u32) -> bool {
    let mut ctx = m.ext.store.context();
    m.memory().grow(&mut ctx, u64::from(delta)).is_ok()
}

// Externs.

#[unsafe(no_mangle)]
pub extern "C" fn wasm_extern_kind(e: &wasm_extern_t) -> u8 {
    use crate::types::{
        WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE,
    };
    match e.which {
        Extern::Func(_) => WASM_EXTERN_FUNC,
        Extern::Global(_) => WASM_EXTERN_GLOBAL,
        Extern::Table(_) => WASM_EXTERN_TABLE,
        Extern::Memory(_) => WASM_EXTERN_MEMORY,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_extern_type(e: &wasm_extern_t) -> Box<wasm_externtype_t> {
    let ctx = e.store.context();
    wasm_externtype_t::new(e.which.declared_ty(&ctx))
}

// Modules.

fn instance_box(store: &Arc<WasmStore>, instance: Instance) -> Box<wasm_instance_t> {
    Box::new(wasm_instance_t {
        header: wasm_ref_t::new(RefKind::Instance),
        store: store.clone(),
        instance,
    })
}

fn module_box(module: Module) -> Box<wasm_module_t> {
    Box::new(wasm_module_t {
        header: wasm_ref_t::new(RefKind::Module),
        module,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_new(
    store: &wasm_store_t,
    binary: &wasm_byte_vec_t,
) -> Option<Box<wasm_module_t>> {
    let engine = store.store.engine();
    Module::from_binary(engine, binary.as_slice())
        .ok()
        .map(module_box)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_serialize(m: &wasm_module_t, out: &mut wasm_byte_vec_t) {
    // Serialization cannot fail today; were it to, C sees an empty vector
    // (this entry point has no error channel).
    let bytes = m.module.serialize().unwrap_or_default();
    crate::ffi::init(out, wasm_byte_vec_t::from_vec(bytes));
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_deserialize(
    store: &wasm_store_t,
    bytes: &wasm_byte_vec_t,
) -> Option<Box<wasm_module_t>> {
    let engine = store.store.engine();
    // SAFETY: the header documents that the bytes must come from
    // `wasm_module_serialize`; damaged bytes are rejected by the format's
    // checks (and give NULL).
    unsafe { Module::deserialize(engine, bytes.as_slice()) }
        .ok()
        .map(module_box)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_validate(store: &wasm_store_t, binary: &wasm_byte_vec_t) -> bool {
    let engine = store.store.engine();
    Module::validate(engine, binary.as_slice()).is_ok()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_imports(m: &wasm_module_t, out: &mut wasm_importtype_vec_t) {
    crate::ffi::init(
        out,
        wasm_importtype_vec_t::from_boxes(crate::module::import_types(&m.module)),
    );
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_exports(m: &wasm_module_t, out: &mut wasm_exporttype_vec_t) {
    crate::ffi::init(
        out,
        wasm_exporttype_vec_t::from_boxes(crate::module::export_types(&m.module)),
    );
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_share(m: &wasm_module_t) -> Box<wasm_shared_module_t> {
    Box::new(wasm_shared_module_t {
        module: m.module.clone(),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_module_obtain(
    store: &wasm_store_t,
    shared: &wasm_shared_module_t,
) -> Option<Box<wasm_module_t>> {
    let engine = store.store.engine();
    kiln_runtime::Engine::same(engine, shared.module.engine())
        .then(|| module_box(shared.module.clone()))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_shared_module_delete(shared: Option<Box<wasm_shared_module_t>>) {
    drop(shared);
}

// Instances.

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasm_instance_new(
    store: &wasm_store_t,
    module: &wasm_module_t,
    imports: *const wasm_extern_vec_t,
    trap: *mut *mut wasm_trap_t,
) -> Option<Box<wasm_instance_t>> {
    let store = &store.store;
    // SAFETY: a valid vector or NULL (the header's contract).
    let imports = unsafe { imports.as_ref() }.map_or(&[][..], |v| v.as_slice());
    let items: Result<Vec<Extern>> = imports
        .iter()
        .map(|e| match e {
            Some(e) if e.store.id() == store.id() => Ok(e.which),
            Some(_) => Err(anyhow!("an import belongs to a different store")),
            None => Err(anyhow!("a NULL import")),
        })
        .collect();
    let result =
        items.and_then(|items| Instance::new(&mut store.context(), &module.module, &items));
    match result {
        Ok(instance) => {
            if !trap.is_null() {
                // SAFETY: a writable out pointer when not NULL.
                unsafe { trap.write(std::ptr::null_mut()) };
            }
            Some(instance_box(store, instance))
        }
        Err(e) => {
            if !trap.is_null() {
                // SAFETY: a writable out pointer when not NULL.
                unsafe { trap.write(Box::into_raw(wasm_trap_t::new(e))) };
            }
            None
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_instance_exports(i: &wasm_instance_t, out: &mut wasm_extern_vec_t) {
    let exports = i.instance.exports(&mut i.store.context());
    let list = exports
        .into_iter()
        .map(|(_, e)| wasm_extern_t::new(i.store.clone(), e))
        .collect();
    crate::ffi::init(out, wasm_extern_vec_t::from_boxes(list));
}
