//! The type objects of `wasm.h` (`wasm_valtype_t`, `wasm_functype_t`, ...,
//! `wasm_importtype_t`, `wasm_exporttype_t`), Wasmtime's memory-type
//! additions, and `wasm_val_t`.
//!
//! `wasm_externtype_t` is the base: the specific types are
//! `repr(transparent)` over it, so `wasm_functype_as_externtype` is a
//! pointer cast and `wasm_externtype_as_functype` checks the kind. What an
//! accessor returns by pointer (a functype's parameter vector, a table
//! type's limits, an import's names) is stored in the object and lives as
//! long as it.
//!
//! For the rest of the crate: every type object has `new(runtime type) ->
//! Box<Self>` and `ty()` (the runtime type back); [`valkind_to_valtype`] and
//! [`valtype_to_valkind`] convert `wasm.h` value kinds; [`val_copy`] and
//! [`val_delete`] are the deep copy and release of a [`wasm_val_t`] (a
//! reference value owns its `wasm_ref_t`, copied and released through
//! `crate::wasm::ref_copy` / `ref_delete`).

use crate::vec::{wasm_name_t, wasm_valtype_vec_t};
use crate::wasm::wasm_ref_t;
use kiln_runtime::{ExternType, FuncType, GlobalType, MemoryType, Mutability, TableType, ValType};

/// A value type.
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

impl wasm_valtype_t {
    /// The C object of `ty`.
    pub(crate) fn new(ty: ValType) -> Box<wasm_valtype_t> {
        Box::new(wasm_valtype_t { ty })
    }

    /// The runtime type.
    pub(crate) fn ty(&self) -> ValType {
        self.ty
    }
}

/// `wasm.h` value kinds (`wasm_valkind_t`). `WASM_V128` is not in the
/// header (nor in Wasmtime's); Wasmtime's library uses 4 for it too.
pub const WASM_I32: u8 = 0;
pub const WASM_I64: u8 = 1;
pub const WASM_F32: u8 = 2;
pub const WASM_F64: u8 = 3;
pub const WASM_V128: u8 = 4;
pub const WASM_EXTERNREF: u8 = 128;
pub const WASM_FUNCREF: u8 = 129;

/// The value type of a `wasm.h` kind; `None` for a kind that is not one.
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

/// `wasm.h` extern kinds (`wasm_externkind_t`); Kiln has no `WASM_EXTERN_TAG`
/// (4).
pub const WASM_EXTERN_FUNC: u8 = 0;
pub const WASM_EXTERN_GLOBAL: u8 = 1;
pub const WASM_EXTERN_TABLE: u8 = 2;
pub const WASM_EXTERN_MEMORY: u8 = 3;

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

    /// The `wasm.h` kind (`WASM_EXTERN_FUNC`, ...).
    pub(crate) fn kind(&self) -> u8 {
        match self.which {
            CExternType::Func { .. } => WASM_EXTERN_FUNC,
            CExternType::Global { .. } => WASM_EXTERN_GLOBAL,
            CExternType::Table { .. } => WASM_EXTERN_TABLE,
            CExternType::Memory { .. } => WASM_EXTERN_MEMORY,
        }
    }
}

/// Declares a specific extern type over `wasm_externtype_t` (`$variant` of
/// [`CExternType`], runtime type `$rt`): the struct, `new`/`ty`, and its
/// `_delete`, `_copy` and the four casts.
macro_rules! specific_type {
    ($name:ident, $variant:ident, $rt:ty, $as_ext:ident, $as_ext_const:ident,
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
                // SAFETY: `repr(transparent)` over `wasm_externtype_t`, so
                // the allocation has the layout of `$name`; the kind
                // matches.
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
    t.kind()
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

/// `wasm.h` mutabilities (`wasm_mutability_t`).
pub const WASM_CONST: u8 = 0;
pub const WASM_VAR: u8 = 1;

#[unsafe(no_mangle)]
pub extern "C" fn wasm_globaltype_new(
    content: Option<Box<wasm_valtype_t>>,
    mutability: u8,
) -> Option<Box<wasm_globaltype_t>> {
    let Some(content) = content else {
        crate::ffi::null_argument("wasm_valtype_t (global content type)");
    };
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
    element: Option<Box<wasm_valtype_t>>,
    limits: &wasm_limits_t,
) -> Option<Box<wasm_tabletype_t>> {
    let Some(element) = element else {
        crate::ffi::null_argument("wasm_valtype_t (table element type)");
    };
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
        // Both at most 65536 pages, checked above.
        let to_u32 = |pages: u64| u32::try_from(pages).unwrap_or(u32::MAX);
        Ok(MemoryType::new(to_u32(min), max.map(to_u32)))
    };
    let result = check().map(|ty| Box::into_raw(wasm_memorytype_t::new(ty)));
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::error::write_result(result, ret, "wasm_memorytype_t out pointer") }
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
    ty: Option<Box<wasm_externtype_t>>,
) -> Option<Box<wasm_importtype_t>> {
    let (module, name) = (module.take(), name.take());
    let Some(ty) = ty else {
        crate::ffi::null_argument("wasm_externtype_t (import type)");
    };
    // Names are UTF-8: Wasmtime returns NULL for others, as Kiln does.
    std::str::from_utf8(&module).ok()?;
    std::str::from_utf8(&name).ok()?;
    Some(Box::new(wasm_importtype_t {
        module: wasm_name_t::from_vec(module),
        name: wasm_name_t::from_vec(name),
        ty,
    }))
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
    ty: Option<Box<wasm_externtype_t>>,
) -> Option<Box<wasm_exporttype_t>> {
    let name = name.take();
    let Some(ty) = ty else {
        crate::ffi::null_argument("wasm_externtype_t (export type)");
    };
    // As for imports: a name that is not UTF-8 gives NULL.
    std::str::from_utf8(&name).ok()?;
    Some(Box::new(wasm_exporttype_t {
        name: wasm_name_t::from_vec(name),
        ty,
    }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vec::{wasm_valtype_vec_delete, wasm_valtype_vec_new};

    #[test]
    fn valkinds_round_trip() {
        for kind in [
            WASM_I32,
            WASM_I64,
            WASM_F32,
            WASM_F64,
            WASM_V128,
            WASM_EXTERNREF,
            WASM_FUNCREF,
        ] {
            let ty = valkind_to_valtype(kind).expect("a valid kind");
            assert_eq!(valtype_to_valkind(ty), kind);
            let t = wasm_valtype_new(kind);
            assert_eq!(wasm_valtype_kind(&t), kind);
            let c = wasm_valtype_copy(&t);
            wasm_valtype_delete(Some(t));
            assert_eq!(c.ty(), ty);
            wasm_valtype_delete(Some(c));
        }
        for bad in [5, 127, 130, 255] {
            assert_eq!(valkind_to_valtype(bad), None);
        }
        wasm_valtype_delete(None);
    }

    /// A valtype vector made from C's side: `_new` over owned pointers.
    fn valtype_vec(kinds: &[u8]) -> wasm_valtype_vec_t {
        let ptrs: Vec<*mut wasm_valtype_t> = kinds
            .iter()
            .map(|k| Box::into_raw(wasm_valtype_new(*k)))
            .collect();
        let mut v = wasm_valtype_vec_t::from_vec(Vec::new());
        // SAFETY: `Option<Box<T>>` has the layout of `*mut T`; the objects
        // move into the vector.
        unsafe { wasm_valtype_vec_new(&mut v, ptrs.len(), ptrs.as_ptr().cast()) };
        v
    }

    fn kinds(v: &wasm_valtype_vec_t) -> Vec<u8> {
        v.as_slice()
            .iter()
            .map(|t| wasm_valtype_kind(t.as_deref().expect("no NULLs")))
            .collect()
    }

    #[test]
    fn functype_round_trip_and_casts() {
        let mut params = valtype_vec(&[WASM_I32, WASM_F64]);
        let mut results = valtype_vec(&[WASM_FUNCREF]);
        let mut f = wasm_functype_new(&mut params, &mut results);
        assert!(params.data.is_null() && params.size == 0, "params taken");
        assert!(results.data.is_null() && results.size == 0, "results taken");
        wasm_valtype_vec_delete(&mut params);
        assert_eq!(kinds(wasm_functype_params(&f)), [WASM_I32, WASM_F64]);
        assert_eq!(kinds(wasm_functype_results(&f)), [WASM_FUNCREF]);
        assert_eq!(
            f.ty(),
            FuncType::new([ValType::I32, ValType::F64], [ValType::FuncRef])
        );

        let c = wasm_functype_copy(&f);
        assert_eq!(c.ty(), f.ty());
        assert_ne!(
            std::ptr::from_ref(wasm_functype_params(&c)),
            std::ptr::from_ref(wasm_functype_params(&f))
        );

        let f_ptr = std::ptr::from_mut(&mut *f);
        let ext = wasm_functype_as_externtype(&mut f);
        assert_eq!(wasm_externtype_kind(ext), WASM_EXTERN_FUNC);
        assert!(wasm_externtype_as_globaltype(ext).is_none());
        assert!(wasm_externtype_as_tabletype_const(ext).is_none());
        assert!(wasm_externtype_as_memorytype_const(ext).is_none());
        let back = wasm_externtype_as_functype(ext).expect("a function type");
        assert_eq!(std::ptr::from_mut(back), f_ptr, "casts are pointer casts");
        let ext_copy = wasm_externtype_copy(wasm_functype_as_externtype_const(&f));
        assert_eq!(ext_copy.ty(), ExternType::Func(f.ty()));
        let f2 = wasm_externtype_as_functype_const(&ext_copy).expect("a function type");
        assert_eq!(kinds(wasm_functype_results(f2)), [WASM_FUNCREF]);
        wasm_externtype_delete(Some(ext_copy));
        wasm_functype_delete(Some(f));
        wasm_functype_delete(Some(c));

        let mut none = valtype_vec(&[]);
        let mut none2 = valtype_vec(&[]);
        let empty = wasm_functype_new(&mut none, &mut none2);
        assert!(wasm_functype_params(&empty).as_slice().is_empty());
        assert_eq!(empty.ty(), FuncType::new([], []));
        wasm_functype_delete(Some(empty));
    }

    #[test]
    fn globaltype_round_trip() {
        let g = wasm_globaltype_new(Some(wasm_valtype_new(WASM_I64)), WASM_VAR).unwrap();
        assert_eq!(wasm_valtype_kind(wasm_globaltype_content(&g)), WASM_I64);
        assert_eq!(wasm_globaltype_mutability(&g), WASM_VAR);
        assert_eq!(g.ty(), GlobalType::new(ValType::I64, Mutability::Var));
        let c = wasm_globaltype_copy(&g);
        assert_eq!(wasm_globaltype_mutability(&c), WASM_VAR);
        let ext = wasm_globaltype_as_externtype_const(&c);
        assert_eq!(wasm_externtype_kind(ext), WASM_EXTERN_GLOBAL);
        assert!(wasm_externtype_as_functype_const(ext).is_none());
        assert!(wasm_externtype_as_globaltype_const(ext).is_some());
        wasm_globaltype_delete(Some(g));
        wasm_globaltype_delete(Some(c));

        let k = wasm_globaltype_new(Some(wasm_valtype_new(WASM_F32)), WASM_CONST).unwrap();
        assert_eq!(wasm_globaltype_mutability(&k), WASM_CONST);
        wasm_globaltype_delete(Some(k));
        // An invalid mutability: NULL, and the content type is consumed.
        assert!(wasm_globaltype_new(Some(wasm_valtype_new(WASM_I32)), 2).is_none());
    }

    #[test]
    fn tabletype_round_trip() {
        let limits = wasm_limits_t { min: 3, max: 10 };
        let t = wasm_tabletype_new(Some(wasm_valtype_new(WASM_FUNCREF)), &limits).unwrap();
        assert_eq!(wasm_valtype_kind(wasm_tabletype_element(&t)), WASM_FUNCREF);
        let l = wasm_tabletype_limits(&t);
        assert_eq!((l.min, l.max), (3, 10));
        assert_eq!(t.ty(), TableType::new(ValType::FuncRef, 3, Some(10)));
        let ext = wasm_tabletype_as_externtype_const(&t);
        assert_eq!(wasm_externtype_kind(ext), WASM_EXTERN_TABLE);
        assert!(wasm_externtype_as_tabletype_const(ext).is_some());

        let open = wasm_limits_t {
            min: 0,
            max: LIMITS_MAX_NONE,
        };
        let u = wasm_tabletype_new(Some(wasm_valtype_new(WASM_EXTERNREF)), &open).unwrap();
        assert_eq!(u.ty().maximum(), None);
        let c = wasm_tabletype_copy(&u);
        assert_eq!(wasm_tabletype_limits(&c).max, u32::MAX);
        wasm_tabletype_delete(Some(t));
        wasm_tabletype_delete(Some(u));
        wasm_tabletype_delete(Some(c));

        // Numbers are not table elements.
        assert!(wasm_tabletype_new(Some(wasm_valtype_new(WASM_I32)), &limits).is_none());
    }

    #[test]
    fn memorytype_round_trip() {
        let m = wasm_memorytype_new(&wasm_limits_t { min: 1, max: 5 });
        let l = wasm_memorytype_limits(&m);
        assert_eq!((l.min, l.max), (1, 5));
        assert_eq!(m.ty(), MemoryType::new(1, Some(5)));
        assert_eq!(wasmtime_memorytype_minimum(&m), 1);
        let mut max = 0;
        // SAFETY: a writable `u64`.
        assert!(unsafe { wasmtime_memorytype_maximum(&m, &mut max) });
        assert_eq!(max, 5);
        assert!(!wasmtime_memorytype_is64(&m));
        assert!(!wasmtime_memorytype_isshared(&m));
        assert_eq!(wasmtime_memorytype_page_size(&m), 65536);
        assert_eq!(wasmtime_memorytype_page_size_log2(&m), 16);
        let ext = wasm_memorytype_as_externtype_const(&m);
        assert_eq!(wasm_externtype_kind(ext), WASM_EXTERN_MEMORY);
        assert!(wasm_externtype_as_memorytype_const(ext).is_some());
        assert!(wasm_externtype_as_tabletype_const(ext).is_none());

        let open = wasm_memorytype_new(&wasm_limits_t {
            min: 0,
            max: LIMITS_MAX_NONE,
        });
        // SAFETY: a writable `u64`.
        assert!(!unsafe { wasmtime_memorytype_maximum(&open, &mut max) });
        assert_eq!(wasm_memorytype_limits(&open).max, u32::MAX);
        let c = wasm_memorytype_copy(&open);
        assert_eq!(c.ty(), open.ty());
        wasm_memorytype_delete(Some(m));
        wasm_memorytype_delete(Some(open));
        wasm_memorytype_delete(Some(c));
    }

    /// `wasmtime_memorytype_new`: the type, or the error's message.
    fn wasmtime_memorytype(
        min: u64,
        max: Option<u64>,
        is_64: bool,
        shared: bool,
        page_size_log2: u8,
    ) -> Result<Box<wasm_memorytype_t>, String> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a writable out pointer.
        let err = unsafe {
            wasmtime_memorytype_new(
                min,
                max.is_some(),
                max.unwrap_or(0),
                is_64,
                shared,
                page_size_log2,
                &mut out,
            )
        };
        match err {
            Some(e) => {
                assert!(out.is_null(), "no type on error");
                Err(e.error.to_string())
            }
            // SAFETY: set to a new type on success.
            None => Ok(unsafe { Box::from_raw(out) }),
        }
    }

    #[test]
    fn wasmtime_memorytype_new_checks() {
        let m = wasmtime_memorytype(2, Some(65536), false, false, 16).unwrap();
        assert_eq!(m.ty(), MemoryType::new(2, Some(65536)));
        assert_eq!(wasm_memorytype_limits(&m).max, 65536);
        let n = wasmtime_memorytype(0, None, false, false, 16).unwrap();
        assert_eq!(n.ty().maximum(), None);

        let err = |r: Result<Box<wasm_memorytype_t>, String>| r.err().expect("an error");
        assert!(err(wasmtime_memorytype(1, None, true, false, 16)).contains("64-bit"));
        assert!(err(wasmtime_memorytype(1, Some(1), false, true, 16)).contains("shared"));
        assert!(err(wasmtime_memorytype(1, None, false, false, 0)).contains("64 KiB"));
        assert!(err(wasmtime_memorytype(65537, None, false, false, 16)).contains("65536"));
        assert!(err(wasmtime_memorytype(1, Some(1 << 20), false, false, 16)).contains("65536"));
        assert!(err(wasmtime_memorytype(3, Some(2), false, false, 16)).contains("below"));
    }

    #[test]
    fn importtype_and_exporttype() {
        let mut module = wasm_name_t::from_vec(b"env".to_vec());
        let mut name = wasm_name_t::from_vec(b"mem".to_vec());
        let ty = wasm_externtype_t::new(ExternType::Memory(MemoryType::new(1, None)));
        let i = wasm_importtype_new(&mut module, &mut name, Some(ty)).unwrap();
        assert!(module.data.is_null() && name.data.is_null(), "names taken");
        assert_eq!(wasm_importtype_module(&i).as_slice(), b"env");
        assert_eq!(wasm_importtype_name(&i).as_slice(), b"mem");
        assert_eq!(
            wasm_importtype_type(&i).ty(),
            ExternType::Memory(MemoryType::new(1, None))
        );
        let c = wasm_importtype_copy(&i);
        wasm_importtype_delete(Some(i));
        assert_eq!(wasm_importtype_module(&c).as_slice(), b"env");
        assert_eq!(
            wasm_externtype_kind(wasm_importtype_type(&c)),
            WASM_EXTERN_MEMORY
        );
        wasm_importtype_delete(Some(c));

        let r = wasm_importtype_t::new(
            "m".into(),
            "f".into(),
            ExternType::Func(FuncType::new([], [ValType::I32])),
        );
        assert_eq!(wasm_importtype_name(&r).as_slice(), b"f");
        wasm_importtype_delete(Some(r));

        let mut bad = wasm_name_t::from_vec(vec![0xff, 0xfe]);
        let mut ok = wasm_name_t::from_vec(b"x".to_vec());
        let ty = wasm_externtype_t::new(ExternType::Global(GlobalType::new(
            ValType::I32,
            Mutability::Const,
        )));
        assert!(wasm_importtype_new(&mut ok, &mut bad, Some(ty)).is_none());
        assert!(bad.data.is_null() && ok.data.is_null(), "consumed even so");

        let mut name = wasm_name_t::from_vec(b"run".to_vec());
        let f = wasm_functype_new(&mut valtype_vec(&[]), &mut valtype_vec(&[]));
        // SAFETY: a function type is a `repr(transparent)` extern type.
        let ty = unsafe { Box::from_raw(Box::into_raw(f).cast::<wasm_externtype_t>()) };
        let e = wasm_exporttype_new(&mut name, Some(ty)).unwrap();
        assert_eq!(wasm_exporttype_name(&e).as_slice(), b"run");
        let c = wasm_exporttype_copy(&e);
        wasm_exporttype_delete(Some(e));
        assert_eq!(wasm_exporttype_name(&c).as_slice(), b"run");
        assert_eq!(
            wasm_externtype_kind(wasm_exporttype_type(&c)),
            WASM_EXTERN_FUNC
        );
        wasm_exporttype_delete(Some(c));

        let r = wasm_exporttype_t::new(
            "t".into(),
            ExternType::Table(TableType::new(ValType::ExternRef, 1, Some(2))),
        );
        assert_eq!(
            wasm_externtype_kind(wasm_exporttype_type(&r)),
            WASM_EXTERN_TABLE
        );
        wasm_exporttype_delete(Some(r));

        let mut bad = wasm_name_t::from_vec(vec![0xc0]);
        let ty = wasm_externtype_t::new(ExternType::Memory(MemoryType::new(0, None)));
        assert!(wasm_exporttype_new(&mut bad, Some(ty)).is_none());
    }

    #[test]
    fn vals_copy_and_delete() {
        let v = wasm_val_t {
            kind: WASM_F32,
            of: wasm_val_union { f32: 1.5 },
        };
        let mut out = wasm_val_t::ZERO;
        wasm_val_copy(&mut out, &v);
        // SAFETY: an f32 value.
        assert_eq!((out.kind, unsafe { out.of.f32 }), (WASM_F32, 1.5));
        wasm_val_delete(&mut out);
        let mut null = wasm_val_t {
            kind: WASM_FUNCREF,
            of: wasm_val_union {
                r#ref: std::ptr::null_mut(),
            },
        };
        let copy = val_copy(&null);
        // SAFETY: a reference value.
        assert!(unsafe { copy.of.r#ref }.is_null());
        val_delete(&mut null);
    }
}
