//! The type objects of `wasm.h` (`wasm_valtype_t`, `wasm_functype_t`, ...,
//! `wasm_importtype_t`, `wasm_exporttype_t`), Wasmtime's memory-type
//! additions, and `wasm_val_t`.
//!
//! `wasm_externtype_t` is the base: the specific types are
//! `repr(transparent)` over it, so `wasm_functype_as_externtype` is a
//! pointer cast and `wasm_externtype_as_functype` checks the kind. What an
//! accessor returns by pointer (a functype's parameter vector, a table
//! type's limits) is stored in the object and lives as long as it.

use crate::vec::{wasm_name_t, wasm_valtype_vec_t};
use crate::wasm::wasm_ref_t;
use kiln_runtime::{ExternType, FuncType, GlobalType, MemoryType, Mutability, TableType, ValType};

/// A value type.
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

impl wasm_valtype_t {
    pub(crate) fn new(ty: ValType) -> Box<wasm_valtype_t> {
        Box::new(wasm_valtype_t { ty })
    }
}

/// `wasm.h` value kinds.
pub const WASM_I32: u8 = 0;
pub const WASM_I64: u8 = 1;
pub const WASM_F32: u8 = 2;
pub const WASM_F64: u8 = 3;
pub const WASM_V128: u8 = 4;
pub const WASM_EXTERNREF: u8 = 128;
pub const WASM_FUNCREF: u8 = 129;

/// The value type of a `wasm.h` kind.
pub(crate) fn valkind_to_valtype(kind: u8) -> Option<ValType> {
    Some(match kind {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        WASM_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::ExternRef,
        WASM_FUNCREF => ValType::FuncRef,
        _ => return None,
    })
}

/// The `wasm.h` kind of a value type.
pub(crate) fn valtype_to_valkind(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => WASM_I32,
        ValType::I64 => WASM_I64,
        ValType::F32 => WASM_F32,
        ValType::F64 => WASM_F64,
        ValType::V128 => WASM_V128,
        ValType::ExternRef => WASM_EXTERNREF,
        ValType::FuncRef => WASM_FUNCREF,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_new(kind: u8) -> Box<wasm_valtype_t> {
    let ty = valkind_to_valtype(kind).unwrap_or_else(|| {
        eprintln!("kiln: wasm_valtype_new: invalid value kind {kind}");
        std::process::abort()
    });
    wasm_valtype_t::new(ty)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_delete(t: Option<Box<wasm_valtype_t>>) {
    drop(t);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_copy(t: &wasm_valtype_t) -> Box<wasm_valtype_t> {
    wasm_valtype_t::new(t.ty)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_valtype_kind(t: &wasm_valtype_t) -> u8 {
    valtype_to_valkind(t.ty)
}

/// `wasm_limits_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_limits_t {
    pub min: u32,
    pub max: u32,
}

/// `wasm_limits_max_default`: no maximum.
const LIMITS_MAX_NONE: u32 = u32::MAX;

fn limits(min: u64, max: Option<u64>) -> wasm_limits_t {
    wasm_limits_t {
        min: u32::try_from(min).unwrap_or(u32::MAX),
        max: max.map_or(LIMITS_MAX_NONE, |m| u32::try_from(m).unwrap_or(u32::MAX)),
    }
}

/// What an extern type holds, by kind, with what its accessors return.
pub(crate) enum CExternType {
    Func {
        ty: FuncType,
        params: wasm_valtype_vec_t,
        results: wasm_valtype_vec_t,
    },
    Global {
        ty: GlobalType,
        content: Box<wasm_valtype_t>,
    },
    Table {
        ty: TableType,
        element: Box<wasm_valtype_t>,
        limits: wasm_limits_t,
    },
    Memory {
        ty: MemoryType,
        limits: wasm_limits_t,
    },
}

/// An extern type: the base of the four specific types.
pub struct wasm_externtype_t {
    pub(crate) which: CExternType,
}

impl Drop for wasm_externtype_t {
    fn drop(&mut self) {
        if let CExternType::Func {
            params, results, ..
        } = &mut self.which
        {
            crate::vec::wasm_valtype_vec_delete(params);
            crate::vec::wasm_valtype_vec_delete(results);
        }
    }
}

fn valtypes(types: &[ValType]) -> wasm_valtype_vec_t {
    wasm_valtype_vec_t::from_boxes(types.iter().map(|t| wasm_valtype_t::new(*t)).collect())
}

impl wasm_externtype_t {
    /// The C object of `ty`.
    pub(crate) fn new(ty: ExternType) -> Box<wasm_externtype_t> {
        let which = match ty {
            ExternType::Func(ty) => CExternType::Func {
                params: valtypes(ty.params()),
                results: valtypes(ty.results()),
                ty,
            },
            ExternType::Global(ty) => CExternType::Global {
                content: wasm_valtype_t::new(ty.content()),
                ty,
            },
            ExternType::Table(ty) => CExternType::Table {
                element: wasm_valtype_t::new(ty.element()),
                limits: limits(ty.minimum(), ty.maximum()),
                ty,
            },
            ExternType::Memory(ty) => CExternType::Memory {
                limits: limits(ty.minimum(), ty.maximum()),
                ty,
            },
        };
        Box::new(wasm_externtype_t { which })
    }

    /// The runtime type.
    pub(crate) fn ty(&self) -> ExternType {
        match &self.which {
            CExternType::Func { ty, .. } => ExternType::Func(ty.clone()),
            CExternType::Global { ty, .. } => ExternType::Global(*ty),
            CExternType::Table { ty, .. } => ExternType::Table(*ty),
            CExternType::Memory { ty, .. } => ExternType::Memory(*ty),
        }
    }
}

/// Declares a specific extern type over `wasm_externtype_t`.
macro_rules! specific_type {
    ($name:ident, $variant:ident, $rt:ty, $kind:expr, $as_ext:ident, $as_ext_const:ident,
     $ext_as:ident, $ext_as_const:ident, $delete:ident, $copy:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        #[repr(transparent)]
        pub struct $name {
            pub(crate) ext: wasm_externtype_t,
        }

        impl $name {
            /// The C object of `ty`.
            pub(crate) fn new(ty: $rt) -> Box<$name> {
                let ext = wasm_externtype_t::new(ExternType::$variant(ty));
                // SAFETY: `repr(transparent)` over `wasm_externtype_t`.
                unsafe { Box::from_raw(Box::into_raw(ext).cast::<$name>()) }
            }

            /// The runtime type.
            pub(crate) fn ty(&self) -> $rt {
                match self.ext.ty() {
                    ExternType::$variant(t) => t,
                    _ => unreachable!(concat!("a ", stringify!($name), " of another kind")),
                }
            }
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(t: Option<Box<$name>>) {
            drop(t);
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy(t: &$name) -> Box<$name> {
            $name::new(t.ty())
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ext(t: &mut $name) -> &mut wasm_externtype_t {
            &mut t.ext
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $as_ext_const(t: &$name) -> &wasm_externtype_t {
            &t.ext
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ext_as(t: &mut wasm_externtype_t) -> Option<&mut $name> {
            match t.which {
                CExternType::$variant { .. } => {
                    // SAFETY: `repr(transparent)` over `wasm_externtype_t`.
                    Some(unsafe { &mut *(t as *mut wasm_externtype_t).cast::<$name>() })
                }
                _ => None,
            }
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $ext_as_const(t: &wasm_externtype_t) -> Option<&$name> {
            match t.which {
                CExternType::$variant { .. } => {
                    // SAFETY: `repr(transparent)` over `wasm_externtype_t`.
                    Some(unsafe { &*(t as *const wasm_externtype_t).cast::<$name>() })
                }
                _ => None,
            }
        }
    };
}

specific_type!(
    wasm_functype_t,
    Func,
    FuncType,
    0,
    wasm_functype_as_externtype,
    wasm_functype_as_externtype_const,
    wasm_externtype_as_functype,
    wasm_externtype_as_functype_const,
    wasm_functype_delete,
    wasm_functype_copy
);
specific_type!(
    wasm_globaltype_t,
    Global,
    GlobalType,
    1,
    wasm_globaltype_as_externtype,
    wasm_globaltype_as_externtype_const,
    wasm_externtype_as_globaltype,
    wasm_externtype_as_globaltype_const,
    wasm_globaltype_delete,
    wasm_globaltype_copy
);
specific_type!(
    wasm_tabletype_t,
    Table,
    TableType,
    2,
    wasm_tabletype_as_externtype,
    wasm_tabletype_as_externtype_const,
    wasm_externtype_as_tabletype,
    wasm_externtype_as_tabletype_const,
    wasm_tabletype_delete,
    wasm_tabletype_copy
);
specific_type!(
    wasm_memorytype_t,
    Memory,
    MemoryType,
    3,
    wasm_memorytype_as_externtype,
    wasm_memorytype_as_externtype_const,
    wasm_externtype_as_memorytype,
    wasm_externtype_as_memorytype_const,
    wasm_memorytype_delete,
    wasm_memorytype_copy
);

#[unsafe(no_mangle)]
pub extern "C" fn wasm_externtype_delete(t: Option<Box<wasm_externtype_t>>) {
    drop(t);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_externtype_copy(t: &wasm_externtype_t) -> Box<wasm_externtype_t> {
    wasm_externtype_t::new(t.ty())
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_externtype_kind(t: &wasm_externtype_t) -> u8 {
    match t.which {
        CExternType::Func { .. } => 0,
        CExternType::Global { .. } => 1,
        CExternType::Table { .. } => 2,
        CExternType::Memory { .. } => 3,
    }
}

/// Takes the value types out of an owned vector.
fn take_valtypes(v: &mut wasm_valtype_vec_t) -> Option<Vec<ValType>> {
    let items = v.take();
    items.iter().map(|t| t.as_ref().map(|t| t.ty)).collect()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_new(
    params: &mut wasm_valtype_vec_t,
    results: &mut wasm_valtype_vec_t,
) -> Box<wasm_functype_t> {
    let (Some(p), Some(r)) = (take_valtypes(params), take_valtypes(results)) else {
        crate::ffi::null_argument("wasm_valtype_t in a function type's vector");
    };
    wasm_functype_t::new(FuncType::new(p, r))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_params(t: &wasm_functype_t) -> &wasm_valtype_vec_t {
    match &t.ext.which {
        CExternType::Func { params, .. } => params,
        _ => unreachable!("a function type"),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_functype_results(t: &wasm_functype_t) -> &wasm_valtype_vec_t {
    match &t.ext.which {
        CExternType::Func { results, .. } => results,
        _ => unreachable!("a function type"),
    }
}

/// `WASM_CONST` / `WASM_VAR`.
const WASM_CONST: u8 = 0;
const WASM_VAR: u8 = 1;

#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_new(
    content: Box<wasm_valtype_t>,
    mutability: u8,
) -> Option<Box<wasm_globaltype_t>> {
    let m = match mutability {
        WASM_CONST => Mutability::Const,
        WASM_VAR => Mutability::Var,
        _ => return None,
    };
    Some(wasm_globaltype_t::new(GlobalType::new(content.ty, m)))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_content(t: &wasm_globaltype_t) -> &wasm_valtype_t {
    match &t.ext.which {
        CExternType::Global { content, .. } => content,
        _ => unreachable!("a global type"),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_mutability(t: &wasm_globaltype_t) -> u8 {
    match t.ty().mutability() {
        Mutability::Const => WASM_CONST,
        Mutability::Var => WASM_VAR,
    }
}

fn max_of(l: &wasm_limits_t) -> Option<u32> {
    (l.max != LIMITS_MAX_NONE).then_some(l.max)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_new(
    element: Box<wasm_valtype_t>,
    limits: &wasm_limits_t,
) -> Option<Box<wasm_tabletype_t>> {
    if !element.ty.is_ref() {
        return None;
    }
    Some(wasm_tabletype_t::new(TableType::new(
        element.ty,
        limits.min,
        max_of(limits),
    )))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_element(t: &wasm_tabletype_t) -> &wasm_valtype_t {
    match &t.ext.which {
        CExternType::Table { element, .. } => element,
        _ => unreachable!("a table type"),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_tabletype_limits(t: &wasm_tabletype_t) -> &wasm_limits_t {
    match &t.ext.which {
        CExternType::Table { limits, .. } => limits,
        _ => unreachable!("a table type"),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memorytype_new(limits: &wasm_limits_t) -> Box<wasm_memorytype_t> {
    wasm_memorytype_t::new(MemoryType::new(limits.min, max_of(limits)))
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_memorytype_limits(t: &wasm_memorytype_t) -> &wasm_limits_t {
    match &t.ext.which {
        CExternType::Memory { limits, .. } => limits,
        _ => unreachable!("a memory type"),
    }
}

/// Most pages of a 32-bit memory.
const MAX_PAGES: u64 = 1 << 16;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memorytype_new(
    min: u64,
    max_present: bool,
    max: u64,
    is_64: bool,
    shared: bool,
    page_size_log2: u8,
    ret: *mut *mut wasm_memorytype_t,
) -> Option<Box<crate::error::wasmtime_error_t>> {
    let check = || -> anyhow::Result<MemoryType> {
        anyhow::ensure!(!is_64, "64-bit memories are not supported by Kiln");
        anyhow::ensure!(!shared, "shared memories are not supported by Kiln");
        anyhow::ensure!(
            page_size_log2 == 16,
            "only 64 KiB pages are supported by Kiln (page_size_log2 16, not {page_size_log2})"
        );
        anyhow::ensure!(min <= MAX_PAGES, "minimum {min} pages is over 65536");
        let max = max_present.then_some(max);
        if let Some(m) = max {
            anyhow::ensure!(m <= MAX_PAGES, "maximum {m} pages is over 65536");
            anyhow::ensure!(m >= min, "maximum {m} is below the minimum {min}");
        }
        Ok(MemoryType::new(min as u32, max.map(|m| m as u32)))
    };
    crate::error::handle(check(), |ty| {
        let t = Box::into_raw(wasm_memorytype_t::new(ty));
        // SAFETY: a writable out pointer (the header's contract).
        unsafe { crate::ffi::write_out(ret, t, "wasm_memorytype_t out pointer") }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memorytype_minimum(t: &wasm_memorytype_t) -> u64 {
    t.ty().minimum()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_memorytype_maximum(t: &wasm_memorytype_t, max: *mut u64) -> bool {
    match t.ty().maximum() {
        Some(m) => {
            // SAFETY: a writable out pointer (the header's contract).
            unsafe { crate::ffi::write_out(max, m, "maximum out pointer") };
            true
        }
        None => false,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memorytype_is64(t: &wasm_memorytype_t) -> bool {
    t.ty().is_64()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memorytype_isshared(t: &wasm_memorytype_t) -> bool {
    t.ty().is_shared()
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memorytype_page_size(_t: &wasm_memorytype_t) -> u64 {
    1 << 16
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memorytype_page_size_log2(_t: &wasm_memorytype_t) -> u8 {
    16
}

/// An import: module name, name, and type.
pub struct wasm_importtype_t {
    module: wasm_name_t,
    name: wasm_name_t,
    ty: Box<wasm_externtype_t>,
}

impl wasm_importtype_t {
    pub(crate) fn new(module: String, name: String, ty: ExternType) -> Box<wasm_importtype_t> {
        Box::new(wasm_importtype_t {
            module: wasm_name_t::from_vec(module.into_bytes()),
            name: wasm_name_t::from_vec(name.into_bytes()),
            ty: wasm_externtype_t::new(ty),
        })
    }
}

impl Drop for wasm_importtype_t {
    fn drop(&mut self) {
        crate::vec::wasm_byte_vec_delete(&mut self.module);
        crate::vec::wasm_byte_vec_delete(&mut self.name);
    }
}

/// A copy of an import type (for vectors).
pub(crate) fn importtype_copy(t: &wasm_importtype_t) -> Box<wasm_importtype_t> {
    Box::new(wasm_importtype_t {
        module: wasm_name_t::from_vec(t.module.as_slice().to_vec()),
        name: wasm_name_t::from_vec(t.name.as_slice().to_vec()),
        ty: wasm_externtype_t::new(t.ty.ty()),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_new(
    module: &mut wasm_name_t,
    name: &mut wasm_name_t,
    ty: Box<wasm_externtype_t>,
) -> Box<wasm_importtype_t> {
    Box::new(wasm_importtype_t {
        module: wasm_name_t::from_vec(module.take()),
        name: wasm_name_t::from_vec(name.take()),
        ty,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_delete(t: Option<Box<wasm_importtype_t>>) {
    drop(t);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_copy(t: &wasm_importtype_t) -> Box<wasm_importtype_t> {
    importtype_copy(t)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_module(t: &wasm_importtype_t) -> &wasm_name_t {
    &t.module
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_name(t: &wasm_importtype_t) -> &wasm_name_t {
    &t.name
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_importtype_type(t: &wasm_importtype_t) -> &wasm_externtype_t {
    &t.ty
}

/// An export: name and type.
pub struct wasm_exporttype_t {
    name: wasm_name_t,
    ty: Box<wasm_externtype_t>,
}

impl wasm_exporttype_t {
    pub(crate) fn new(name: String, ty: ExternType) -> Box<wasm_exporttype_t> {
        Box::new(wasm_exporttype_t {
            name: wasm_name_t::from_vec(name.into_bytes()),
            ty: wasm_externtype_t::new(ty),
        })
    }
}

impl Drop for wasm_exporttype_t {
    fn drop(&mut self) {
        crate::vec::wasm_byte_vec_delete(&mut self.name);
    }
}

/// A copy of an export type (for vectors).
pub(crate) fn exporttype_copy(t: &wasm_exporttype_t) -> Box<wasm_exporttype_t> {
    Box::new(wasm_exporttype_t {
        name: wasm_name_t::from_vec(t.name.as_slice().to_vec()),
        ty: wasm_externtype_t::new(t.ty.ty()),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_new(
    name: &mut wasm_name_t,
    ty: Box<wasm_externtype_t>,
) -> Box<wasm_exporttype_t> {
    Box::new(wasm_exporttype_t {
        name: wasm_name_t::from_vec(name.take()),
        ty,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_delete(t: Option<Box<wasm_exporttype_t>>) {
    drop(t);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_copy(t: &wasm_exporttype_t) -> Box<wasm_exporttype_t> {
    exporttype_copy(t)
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_name(t: &wasm_exporttype_t) -> &wasm_name_t {
    &t.name
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_exporttype_type(t: &wasm_exporttype_t) -> &wasm_externtype_t {
    &t.ty
}

/// The payload of `wasm_val_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    pub i32: i32,
    pub i64: i64,
    pub f32: f32,
    pub f64: f64,
    pub r#ref: *mut wasm_ref_t,
}

/// `wasm_val_t`: a kind and a value; a reference value owns its
/// `wasm_ref_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_val_t {
    pub kind: u8,
    pub of: wasm_val_union,
}

impl wasm_val_t {
    /// An `i32` zero.
    pub(crate) const ZERO: wasm_val_t = wasm_val_t {
        kind: WASM_I32,
        of: wasm_val_union { i32: 0 },
    };

    fn is_ref(&self) -> bool {
        matches!(self.kind, WASM_EXTERNREF | WASM_FUNCREF)
    }
}

/// A deep copy of a value (its reference copied too).
pub(crate) fn val_copy(v: &wasm_val_t) -> wasm_val_t {
    if !v.is_ref() {
        return *v;
    }
    // SAFETY: a reference kind holds the `ref` field.
    let r = unsafe { v.of.r#ref };
    // SAFETY: a non-null reference of a value is a live object.
    let copy = unsafe { r.as_ref() }.map_or(std::ptr::null_mut(), crate::wasm::ref_copy);
    wasm_val_t {
        kind: v.kind,
        of: wasm_val_union { r#ref: copy },
    }
}

/// Releases a value's reference, if it owns one.
pub(crate) fn val_delete(v: &mut wasm_val_t) {
    if v.is_ref() {
        // SAFETY: a reference kind holds the `ref` field, owned by the
        // value.
        unsafe {
            crate::wasm::ref_delete(v.of.r#ref);
            v.of.r#ref = std::ptr::null_mut();
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_val_delete(v: &mut wasm_val_t) {
    val_delete(v);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasm_val_copy(out: &mut wasm_val_t, src: &wasm_val_t) {
    crate::ffi::init(out, val_copy(src));
}

const _: () = {
    assert!(std::mem::size_of::<wasm_val_t>() == 16);
    assert!(std::mem::size_of::<wasm_limits_t>() == 8);
};
