//! The vectors of `wasm.h` (`wasm_byte_vec_t`, `wasm_valtype_vec_t`, ...):
//! a size and a pointer to that many elements, allocated here as a boxed
//! slice so that `_delete` frees exactly what `_new` or `_copy` made.
//!
//! Vectors have no `Drop`: C copies them as plain structs and hands them
//! back to `_delete`. Vectors of owned objects hold `Option<Box<T>>`
//! (a nullable pointer in C), whose drop deletes the object.

use crate::trap::wasm_frame_t;
use crate::types::{
    wasm_exporttype_t, wasm_externtype_t, wasm_functype_t, wasm_globaltype_t, wasm_importtype_t,
    wasm_memorytype_t, wasm_tabletype_t, wasm_val_t, wasm_valtype_t,
};
use crate::wasm::wasm_extern_t;

/// Declares a vector type of `$elem` and its five C functions. `$copy`
/// copies one element; `$drop` releases one.
macro_rules! declare_vec {
    ($vec:ident, $elem:ty, $new_empty:ident, $new_uninit:ident, $new:ident, $copy_fn:ident,
     $delete:ident, $zero:expr, $copy:expr, $drop:expr) => {
        #[doc = concat!("`", stringify!($vec), "`.")]
        #[repr(C)]
        pub struct $vec {
            pub size: usize,
            pub data: *mut $elem,
        }

        #[allow(dead_code, reason = "not every vector uses every helper")]
        impl $vec {
            /// A vector owning `items`.
            pub(crate) fn from_vec(items: Vec<$elem>) -> $vec {
                if items.is_empty() {
                    return $vec {
                        size: 0,
                        data: std::ptr::null_mut(),
                    };
                }
                let boxed = items.into_boxed_slice();
                let size = boxed.len();
                $vec {
                    size,
                    data: Box::into_raw(boxed).cast(),
                }
            }

            /// The elements.
            pub(crate) fn as_slice(&self) -> &[$elem] {
                // SAFETY: `data` holds `size` elements (or is ignored for
                // size 0), as every constructor guarantees.
                unsafe { crate::ffi::slice(self.data, self.size) }
            }

            /// The elements, writable.
            pub(crate) fn as_mut_slice(&mut self) -> &mut [$elem] {
                // SAFETY: as for `as_slice`.
                unsafe { crate::ffi::slice_mut(self.data, self.size) }
            }

            /// Takes the elements out, leaving the vector empty.
            pub(crate) fn take(&mut self) -> Vec<$elem> {
                let (size, data) = (self.size, self.data);
                self.size = 0;
                self.data = std::ptr::null_mut();
                if data.is_null() || size == 0 {
                    return Vec::new();
                }
                // SAFETY: a boxed slice of `size` made by `from_vec`.
                unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, size)) }.into_vec()
            }
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $new_empty(out: &mut $vec) {
            crate::ffi::init(out, $vec::from_vec(Vec::new()));
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $new_uninit(out: &mut $vec, size: usize) {
            let items = (0..size).map(|_| $zero).collect();
            crate::ffi::init(out, $vec::from_vec(items));
        }

        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $new(out: &mut $vec, size: usize, data: *const $elem) {
            // SAFETY: `size` elements at `data`, whose ownership passes to
            // the vector (the header's contract): they are moved, not
            // copied.
            let items = unsafe { crate::ffi::slice(data, size) }
                .iter()
                // SAFETY: each element is moved out once; the caller no
                // longer owns it.
                .map(|e| unsafe { std::ptr::read(e) })
                .collect();
            crate::ffi::init(out, $vec::from_vec(items));
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy_fn(out: &mut $vec, src: &$vec) {
            let items = src.as_slice().iter().map($copy).collect();
            crate::ffi::init(out, $vec::from_vec(items));
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(v: &mut $vec) {
            for e in v.take() {
                $drop(e);
            }
        }
    };
}

/// Declares a vector of owned objects (`Option<Box<T>>`), copied with
/// `$copy_one(&T) -> Box<T>`.
macro_rules! declare_own_vec {
    ($vec:ident, $t:ty, $new_empty:ident, $new_uninit:ident, $new:ident, $copy_fn:ident,
     $delete:ident, $copy_one:expr) => {
        declare_vec!(
            $vec,
            Option<Box<$t>>,
            $new_empty,
            $new_uninit,
            $new,
            $copy_fn,
            $delete,
            None,
            |e: &Option<Box<$t>>| e.as_deref().map($copy_one),
            drop
        );

        #[allow(dead_code, reason = "not every vector uses every helper")]
        impl $vec {
            /// A vector owning `items`.
            pub(crate) fn from_boxes(items: Vec<Box<$t>>) -> $vec {
                $vec::from_vec(items.into_iter().map(Some).collect())
            }
        }
    };
}

declare_vec!(
    wasm_byte_vec_t,
    u8,
    wasm_byte_vec_new_empty,
    wasm_byte_vec_new_uninitialized,
    wasm_byte_vec_new,
    wasm_byte_vec_copy,
    wasm_byte_vec_delete,
    0u8,
    |b: &u8| *b,
    |_: u8| ()
);

/// `wasm_name_t` is a byte vector.
pub type wasm_name_t = wasm_byte_vec_t;

declare_vec!(
    wasm_val_vec_t,
    wasm_val_t,
    wasm_val_vec_new_empty,
    wasm_val_vec_new_uninitialized,
    wasm_val_vec_new,
    wasm_val_vec_copy,
    wasm_val_vec_delete,
    wasm_val_t::ZERO,
    crate::types::val_copy,
    |mut v: wasm_val_t| crate::types::val_delete(&mut v)
);

declare_own_vec!(
    wasm_valtype_vec_t,
    wasm_valtype_t,
    wasm_valtype_vec_new_empty,
    wasm_valtype_vec_new_uninitialized,
    wasm_valtype_vec_new,
    wasm_valtype_vec_copy,
    wasm_valtype_vec_delete,
    |t: &wasm_valtype_t| Box::new(wasm_valtype_t { ty: t.ty })
);
declare_own_vec!(
    wasm_functype_vec_t,
    wasm_functype_t,
    wasm_functype_vec_new_empty,
    wasm_functype_vec_new_uninitialized,
    wasm_functype_vec_new,
    wasm_functype_vec_copy,
    wasm_functype_vec_delete,
    |t: &wasm_functype_t| wasm_functype_t::new(t.ty())
);
declare_own_vec!(
    wasm_globaltype_vec_t,
    wasm_globaltype_t,
    wasm_globaltype_vec_new_empty,
    wasm_globaltype_vec_new_uninitialized,
    wasm_globaltype_vec_new,
    wasm_globaltype_vec_copy,
    wasm_globaltype_vec_delete,
    |t: &wasm_globaltype_t| wasm_globaltype_t::new(t.ty())
);
declare_own_vec!(
    wasm_tabletype_vec_t,
    wasm_tabletype_t,
    wasm_tabletype_vec_new_empty,
    wasm_tabletype_vec_new_uninitialized,
    wasm_tabletype_vec_new,
    wasm_tabletype_vec_copy,
    wasm_tabletype_vec_delete,
    |t: &wasm_tabletype_t| wasm_tabletype_t::new(t.ty())
);
declare_own_vec!(
    wasm_memorytype_vec_t,
    wasm_memorytype_t,
    wasm_memorytype_vec_new_empty,
    wasm_memorytype_vec_new_uninitialized,
    wasm_memorytype_vec_new,
    wasm_memorytype_vec_copy,
    wasm_memorytype_vec_delete,
    |t: &wasm_memorytype_t| wasm_memorytype_t::new(t.ty())
);
declare_own_vec!(
    wasm_externtype_vec_t,
    wasm_externtype_t,
    wasm_externtype_vec_new_empty,
    wasm_externtype_vec_new_uninitialized,
    wasm_externtype_vec_new,
    wasm_externtype_vec_copy,
    wasm_externtype_vec_delete,
    |t: &wasm_externtype_t| wasm_externtype_t::new(t.ty())
);
declare_own_vec!(
    wasm_importtype_vec_t,
    wasm_importtype_t,
    wasm_importtype_vec_new_empty,
    wasm_importtype_vec_new_uninitialized,
    wasm_importtype_vec_new,
    wasm_importtype_vec_copy,
    wasm_importtype_vec_delete,
    crate::types::importtype_copy
);
declare_own_vec!(
    wasm_exporttype_vec_t,
    wasm_exporttype_t,
    wasm_exporttype_vec_new_empty,
    wasm_exporttype_vec_new_uninitialized,
    wasm_exporttype_vec_new,
    wasm_exporttype_vec_copy,
    wasm_exporttype_vec_delete,
    crate::types::exporttype_copy
);
declare_own_vec!(
    wasm_frame_vec_t,
    wasm_frame_t,
    wasm_frame_vec_new_empty,
    wasm_frame_vec_new_uninitialized,
    wasm_frame_vec_new,
    wasm_frame_vec_copy,
    wasm_frame_vec_delete,
    crate::trap::frame_copy
);
declare_own_vec!(
    wasm_extern_vec_t,
    wasm_extern_t,
    wasm_extern_vec_new_empty,
    wasm_extern_vec_new_uninitialized,
    wasm_extern_vec_new,
    wasm_extern_vec_copy,
    wasm_extern_vec_delete,
    crate::wasm::extern_copy
);
