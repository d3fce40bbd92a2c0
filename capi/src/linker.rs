//! `wasmtime/linker.h`: name-based import resolution, instantiation, and
//! instance-pres.

use crate::engine::wasm_engine_t;
use crate::error::{to_c, wasmtime_error_t, write_result};
use crate::r#extern::{wasmtime_extern_t, wasmtime_func_t};
use crate::ffi::Finalized;
use crate::func::{
    c_host_fn, c_host_fn_unchecked, wasmtime_func_callback_t, wasmtime_func_unchecked_callback_t,
};
use crate::instance::{wasmtime_instance_pre_t, wasmtime_instance_t};
use crate::module::wasmtime_module_t;
use crate::store::{StoreData, wasmtime_context_t};
use crate::trap::wasm_trap_t;
use crate::types::wasm_functype_t;
use anyhow::{Result, anyhow};
use kiln_runtime::vm::ValRaw;
use kiln_runtime::{
    Caller, ExternType, Func, FuncType, Global, Linker, Memory, Table, Val, ValType,
};
use std::ffi::c_void;

/// A linker: definitions by `(module, name)`, bound to one engine.
pub struct wasmtime_linker_t {
    pub(crate) linker: Linker<StoreData>,
}

/// The two names at `(module, module_len)` and `(name, name_len)`.
///
/// # Safety
///
/// As for [`crate::ffi::str`].
unsafe fn names<'a>(
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
) -> Result<(&'a str, &'a str)> {
    // SAFETY: forwarded to the caller.
    unsafe {
        Ok((
            crate::ffi::str(module, module_len, "module name")?,
            crate::ffi::str(name, name_len, "name")?,
        ))
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_linker_new(engine: &wasm_engine_t) -> Box<wasmtime_linker_t> {
    Box::new(wasmtime_linker_t {
        linker: Linker::new(&engine.engine),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_linker_clone(linker: &wasmtime_linker_t) -> Box<wasmtime_linker_t> {
    Box::new(wasmtime_linker_t {
        linker: linker.linker.clone(),
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_linker_delete(linker: Option<Box<wasmtime_linker_t>>) {
    drop(linker);
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_linker_allow_shadowing(linker: &mut wasmtime_linker_t, allow: bool) {
    linker.linker.allow_shadowing(allow);
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_define(
    linker: &mut wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
    item: &wasmtime_extern_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let ctx = unsafe { crate::store::context(context) };
    // SAFETY: strings of the given lengths (the header's contract).
    let result = unsafe { names(module, module_len, name, name_len) }.and_then(|(m, n)| {
        let item = item.to_extern(ctx.id())?;
        linker.linker.define(&ctx, m, n, item)?;
        Ok(())
    });
    to_c(result)
}

/// Defines `module::name` (strings of the given lengths) as host
/// function `closure` of type `ty`.
///
/// # Safety
///
/// The strings are valid (the header's contract), and `closure` writes
/// results of the result types (`Linker::func_new_unchecked`).
#[allow(clippy::too_many_arguments, reason = "the C entry points' arguments")]
unsafe fn define_host_func(
    linker: &mut wasmtime_linker_t,
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
    ty: FuncType,
    closure: impl Fn(Caller<'_, StoreData>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: the caller's contract.
    let result = unsafe { names(module, module_len, name, name_len) }.and_then(|(m, n)| {
        // SAFETY: the caller's contract.
        unsafe { linker.linker.func_new_unchecked(m, n, ty, closure) }?;
        Ok(())
    });
    to_c(result)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_define_func(
    linker: &mut wasmtime_linker_t,
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
    ty: &wasm_functype_t,
    callback: wasmtime_func_callback_t,
    data: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) -> Option<Box<wasmtime_error_t>> {
    let ty = ty.ty();
    let closure = c_host_fn(ty.clone(), callback, Finalized::new(data, finalizer));
    // SAFETY: the header's contract for the strings; the closure checks
    // each result before writing it.
    unsafe { define_host_func(linker, module, module_len, name, name_len, ty, closure) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_define_func_unchecked(
    linker: &mut wasmtime_linker_t,
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
    ty: &wasm_functype_t,
    callback: wasmtime_func_unchecked_callback_t,
    data: *mut c_void,
    finalizer: Option<extern "C" fn(*mut c_void)>,
) -> Option<Box<wasmtime_error_t>> {
    let closure = c_host_fn_unchecked(callback, Finalized::new(data, finalizer));
    // SAFETY: the header's contract for the strings, and it makes the
    // callback responsible for its results' types.
    unsafe { define_host_func(linker, module, module_len, name, name_len, ty.ty(), closure) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_define_instance(
    linker: &mut wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    name: *const u8,
    name_len: usize,
    instance: &wasmtime_instance_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let i = instance.instance(ctx.id());
    // SAFETY: a string of the given length (the header's contract).
    let result = unsafe { crate::ffi::str(name, name_len, "module name") }
        .and_then(|n| linker.linker.instance(&mut ctx, n, i).map(|_| ()));
    to_c(result)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_instantiate(
    linker: &wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    module: &wasmtime_module_t,
    instance: *mut wasmtime_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let result = linker.linker.instantiate(&mut ctx, &module.module);
    // SAFETY: writable out pointers (the header's contract).
    unsafe { crate::instance::finish(result, instance, trap) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_module(
    linker: &mut wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    name: *const u8,
    name_len: usize,
    module: &wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // SAFETY: a string of the given length (the header's contract).
    let result = unsafe { crate::ffi::str(name, name_len, "module name") }.and_then(|n| {
        linker
            .linker
            .module(&mut ctx, n, &module.module)
            .map(|_| ())
    });
    to_c(result)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_get(
    linker: &wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    module: *const u8,
    module_len: usize,
    name: *const u8,
    name_len: usize,
    item: *mut wasmtime_extern_t,
) -> bool {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // SAFETY: strings of the given lengths (the header's contract).
    let Ok((m, n)) = (unsafe { names(module, module_len, name, name_len) }) else {
        return false;
    };
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { crate::r#extern::write_found(linker.linker.get(&mut ctx, m, n), item) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_get_default(
    linker: &wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    name: *const u8,
    name_len: usize,
    func: *mut wasmtime_func_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    // SAFETY: a string of the given length (the header's contract).
    let result = unsafe { crate::ffi::str(name, name_len, "module name") }.and_then(|m| {
        // The default export: `""`, then `_start`; with neither, a
        // function that does nothing.
        for export in ["", "_start"] {
            if let Some(e) = linker.linker.get(&mut ctx, m, export) {
                return e
                    .into_func()
                    .ok_or_else(|| anyhow!("default export `{m}::{export}` is not a function"));
            }
        }
        Ok(Func::wrap(&mut ctx, || {}))
    });
    // SAFETY: a writable out pointer (the header's contract).
    unsafe {
        write_result(
            result.map(wasmtime_func_t::from_func),
            func,
            "wasmtime_func_t out pointer",
        )
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_instantiate_pre(
    linker: &wasmtime_linker_t,
    module: &wasmtime_module_t,
    instance_pre: *mut *mut wasmtime_instance_pre_t,
) -> Option<Box<wasmtime_error_t>> {
    let result = linker
        .linker
        .instantiate_pre(&module.module)
        .map(wasmtime_instance_pre_t::into_raw);
    // SAFETY: a writable out pointer (the header's contract).
    unsafe { write_result(result, instance_pre, "wasmtime_instance_pre_t out pointer") }
}

#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_linker_define_unknown_imports_as_traps(
    linker: &mut wasmtime_linker_t,
    module: &wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    let mut define = || -> Result<()> {
        for import in module.module.imports() {
            let (m, n) = (import.module(), import.name());
            if linker.linker.is_defined(m, n) {
                continue;
            }
            if let ExternType::Func(ty) = import.ty() {
                let message = format!("unknown import: `{m}::{n}` has not been defined");
                let trap = move |_: kiln_runtime::Caller<'_, StoreData>,
                                 _: &mut [kiln_runtime::vm::ValRaw]| {
                    Err(anyhow!("{message}"))
                };
                // SAFETY: the function never returns normally, so it
                // writes no results.
                unsafe { linker.linker.func_new_unchecked(m, n, ty, trap) }?;
            }
        }
        Ok(())
    };
    to_c(define())
}

/// The default (zero or null) value of `ty`.
fn default_value(ty: ValType) -> Result<Val> {
    Val::default_for(ty).ok_or_else(|| anyhow!("no default value for {ty}"))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasmtime_linker_define_unknown_imports_as_default_values(
    linker: &mut wasmtime_linker_t,
    context: *mut wasmtime_context_t,
    module: &wasmtime_module_t,
) -> Option<Box<wasmtime_error_t>> {
    // SAFETY: a live context (the header's contract).
    let mut ctx = unsafe { crate::store::context(context) };
    let mut define = || -> Result<()> {
        for import in module.module.imports() {
            let (m, n) = (import.module(), import.name());
            if linker.linker.is_defined(m, n) {
                continue;
            }
            match import.ty() {
                ExternType::Func(ty) => {
                    let results: Vec<Val> = ty
                        .results()
                        .iter()
                        .map(|t| default_value(*t))
                        .collect::<Result<_>>()?;
                    linker.linker.func_new(m, n, ty, move |_, _, out| {
                        out.copy_from_slice(&results);
                        Ok(())
                    })?;
                }
                ExternType::Global(ty) => {
                    let g = Global::new(&mut ctx, ty, default_value(ty.content())?)?;
                    linker.linker.define(&ctx, m, n, g)?;
                }
                ExternType::Table(ty) => {
                    let t = Table::new(&mut ctx, ty, default_value(ty.element())?)?;
                    linker.linker.define(&ctx, m, n, t)?;
                }
                ExternType::Memory(ty) => {
                    let mem = Memory::new(&mut ctx, ty)?;
                    linker.linker.define(&ctx, m, n, mem)?;
                }
            }
        }
        Ok(())
    };
    to_c(define())
}
