//! The vectors of `wasm.h` (`wasm_byte_vec_t`, `wasm_valtype_vec_t`, ...):
//! a size and a pointer to that many elements, allocated here as a boxed
//! slice so that `_delete` frees exactly what `_new` or `_copy` made.
//!
//! Vectors have no `Drop`: C copies them as plain structs and hands them
//! back to `_delete`. Vectors of owned objects hold `Option<Box<T>>`
//! (a nullable pointer in C), whose drop deletes the object.
//!
//! Helpers for the rest of the crate, on every vector type `V` of element
//! `E` (`u8`, `wasm_val_t`, or `Option<Box<T>>` for the object vectors):
//! - `V::from_vec(Vec<E>) -> V`: a vector owning the elements (size 0 and
//!   NULL data when empty);
//! - `V::from_boxes(Vec<Box<T>>) -> V` (object vectors only);
//! - `v.as_slice() -> &[E]`, `v.as_mut_slice() -> &mut [E]`: the elements
//!   (an object vector's may be `None`, C's NULL);
//! - `v.take() -> Vec<E>`: the elements, leaving `v` empty; dropping them
//!   releases them (`_delete` is `take` and drop, and for `wasm_val_t`
//!   [`crate::types::val_delete`] on each).
//!
//! The element operations the vectors use: `crate::types::val_copy` /
//! `val_delete` for values, `crate::trap::frame_copy(&wasm_frame_t) ->
//! Box<wasm_frame_t>` for frames, `crate::wasm::extern_copy(&wasm_extern_t)
//! -> Box<wasm_extern_t>` for externs, and dropping the box to delete.

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
    |t: &wasm_valtype_t| wasm_valtype_t::new(t.ty())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        WASM_EXTERNREF, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64, wasm_limits_t, wasm_val_union,
        wasm_valtype_kind, wasm_valtype_new,
    };
    use std::mem::MaybeUninit;

    /// A vector as C leaves one before `_new`: garbage.
    fn uninit<V>() -> MaybeUninit<V> {
        let mut v = MaybeUninit::<V>::uninit();
        // SAFETY: any bytes will do; the point is that they are not a
        // valid vector and `_new` must not read them.
        unsafe {
            v.as_mut_ptr()
                .cast::<u8>()
                .write_bytes(0xa5, size_of::<V>())
        };
        v
    }

    fn empty_byte_vec() -> wasm_byte_vec_t {
        let mut v = uninit::<wasm_byte_vec_t>();
        // SAFETY: `uninit` gives writable storage.
        wasm_byte_vec_new_empty(unsafe { &mut *v.as_mut_ptr() });
        // SAFETY: `_new_empty` initialized it.
        unsafe { v.assume_init() }
    }

    #[test]
    fn byte_vec_new_copy_delete() {
        let mut empty = empty_byte_vec();
        assert_eq!(empty.size, 0);
        assert!(empty.data.is_null());
        wasm_byte_vec_delete(&mut empty);
        wasm_byte_vec_delete(&mut empty); // deleting an empty vector again

        let bytes = *b"kiln\0";
        let mut v = empty_byte_vec();
        // SAFETY: 5 bytes at `bytes`.
        unsafe { wasm_byte_vec_new(&mut v, bytes.len(), bytes.as_ptr()) };
        assert_eq!(v.as_slice(), b"kiln\0");
        assert_ne!(
            v.data.cast_const(),
            bytes.as_ptr(),
            "the bytes are copied in"
        );

        let mut copy = empty_byte_vec();
        wasm_byte_vec_copy(&mut copy, &v);
        assert_eq!(copy.as_slice(), b"kiln\0");
        assert_ne!(copy.data, v.data);
        wasm_byte_vec_delete(&mut v);
        assert_eq!((v.size, v.data), (0, std::ptr::null_mut()));
        assert_eq!(copy.as_slice(), b"kiln\0", "a copy outlives its source");
        wasm_byte_vec_delete(&mut copy);

        let mut zeros = empty_byte_vec();
        wasm_byte_vec_new_uninitialized(&mut zeros, 3);
        assert_eq!(zeros.as_slice(), &[0, 0, 0]);
        zeros.as_mut_slice()[1] = 7;
        assert_eq!(zeros.take(), vec![0, 7, 0]);
        assert_eq!((zeros.size, zeros.data), (0, std::ptr::null_mut()));
        wasm_byte_vec_delete(&mut zeros);

        // new with size 0 ignores the pointer, as C passes NULL.
        let mut none = empty_byte_vec();
        // SAFETY: size 0.
        unsafe { wasm_byte_vec_new(&mut none, 0, std::ptr::null()) };
        assert!(none.as_slice().is_empty() && none.data.is_null());
        let mut copy_of_empty = empty_byte_vec();
        wasm_byte_vec_copy(&mut copy_of_empty, &none);
        assert!(copy_of_empty.data.is_null());

        let mut name = wasm_name_t::from_vec(b"name".to_vec());
        assert_eq!(name.size, 4);
        assert_eq!(name.take(), b"name");
    }

    fn val(kind: u8, of: wasm_val_union) -> wasm_val_t {
        wasm_val_t { kind, of }
    }

    #[test]
    fn val_vec_numbers() {
        let vals = [
            val(WASM_I32, wasm_val_union { i32: -1 }),
            val(WASM_I64, wasm_val_union { i64: 1 << 40 }),
            val(WASM_F64, wasm_val_union { f64: 2.5 }),
            val(
                WASM_FUNCREF,
                wasm_val_union {
                    r#ref: std::ptr::null_mut(),
                },
            ),
        ];
        let mut v = uninit::<wasm_val_vec_t>();
        // SAFETY: writable storage and 4 values.
        let mut v = unsafe {
            wasm_val_vec_new(&mut *v.as_mut_ptr(), vals.len(), vals.as_ptr());
            v.assume_init()
        };
        let mut copy = uninit::<wasm_val_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_val_vec_copy(&mut *copy.as_mut_ptr(), &v);
            copy.assume_init()
        };
        wasm_val_vec_delete(&mut v);
        assert_eq!((v.size, v.data), (0, std::ptr::null_mut()));
        let c = copy.as_slice();
        assert_eq!(c.len(), 4);
        // SAFETY: the fields the kinds select.
        unsafe {
            assert_eq!((c[0].kind, c[0].of.i32), (WASM_I32, -1));
            assert_eq!((c[1].kind, c[1].of.i64), (WASM_I64, 1 << 40));
            assert_eq!((c[2].kind, c[2].of.f64), (WASM_F64, 2.5));
            assert_eq!(c[3].kind, WASM_FUNCREF);
            assert!(c[3].of.r#ref.is_null());
        }
        wasm_val_vec_delete(&mut copy);

        let mut zeros = uninit::<wasm_val_vec_t>();
        // SAFETY: writable storage, initialized by `_new_uninitialized`.
        let mut zeros = unsafe {
            wasm_val_vec_new_uninitialized(&mut *zeros.as_mut_ptr(), 2);
            zeros.assume_init()
        };
        for z in zeros.as_slice() {
            // SAFETY: an i32 value.
            assert_eq!((z.kind, unsafe { z.of.i32 }), (WASM_I32, 0));
        }
        wasm_val_vec_delete(&mut zeros);
    }

    #[test]
    fn val_vec_owns_references() {
        let engine = crate::engine::wasm_engine_new();
        let store = crate::store::wasm_store_new(&engine);
        let foreign = Box::into_raw(crate::wasm::wasm_foreign_new(&store));
        let r = crate::wasm::wasm_foreign_as_ref(
            // SAFETY: just made.
            unsafe { &mut *foreign },
        ) as *mut crate::wasm::wasm_ref_t;
        let vals = [val(WASM_EXTERNREF, wasm_val_union { r#ref: r })];
        let mut v = uninit::<wasm_val_vec_t>();
        // SAFETY: writable storage; the value (and its reference) moves in.
        let mut v = unsafe {
            wasm_val_vec_new(&mut *v.as_mut_ptr(), 1, vals.as_ptr());
            v.assume_init()
        };
        let mut copy = uninit::<wasm_val_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_val_vec_copy(&mut *copy.as_mut_ptr(), &v);
            copy.assume_init()
        };
        // SAFETY: reference values.
        let copied = unsafe { copy.as_slice()[0].of.r#ref };
        assert!(
            !copied.is_null() && copied != r,
            "a copy has its own reference"
        );
        // SAFETY: a live reference.
        assert!(crate::wasm::wasm_ref_as_foreign_const(unsafe { &*copied }).is_some());
        wasm_val_vec_delete(&mut v); // deletes the foreign object
        wasm_val_vec_delete(&mut copy); // and its copy
        crate::store::wasm_store_delete(Some(store));
        crate::engine::wasm_engine_delete(Some(engine));
    }

    #[test]
    fn valtype_vec_moves_copies_and_deletes() {
        let kinds = [WASM_I32, WASM_F64, WASM_EXTERNREF];
        let items: Vec<*mut wasm_valtype_t> = kinds
            .iter()
            .map(|k| Box::into_raw(wasm_valtype_new(*k)))
            .collect();
        let mut v = uninit::<wasm_valtype_vec_t>();
        // SAFETY: `Option<Box<T>>` has the layout of `*mut T`; the three
        // objects move into the vector.
        let mut v = unsafe {
            wasm_valtype_vec_new(&mut *v.as_mut_ptr(), 3, items.as_ptr().cast());
            v.assume_init()
        };
        let got: Vec<*mut wasm_valtype_t> = v
            .as_slice()
            .iter()
            .map(|t| std::ptr::from_ref(t.as_deref().unwrap()).cast_mut())
            .collect();
        assert_eq!(got, items, "the pointers move in, not copies");

        let mut copy = uninit::<wasm_valtype_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_valtype_vec_copy(&mut *copy.as_mut_ptr(), &v);
            copy.assume_init()
        };
        wasm_valtype_vec_delete(&mut v);
        let copied: Vec<u8> = copy
            .as_slice()
            .iter()
            .map(|t| wasm_valtype_kind(t.as_deref().unwrap()))
            .collect();
        assert_eq!(copied, kinds);
        wasm_valtype_vec_delete(&mut copy);
        assert_eq!((copy.size, copy.data), (0, std::ptr::null_mut()));

        // Uninitialized object vectors hold NULLs, which copy and delete
        // as NULLs.
        let mut nulls = uninit::<wasm_valtype_vec_t>();
        // SAFETY: writable storage, initialized by `_new_uninitialized`.
        let mut nulls = unsafe {
            wasm_valtype_vec_new_uninitialized(&mut *nulls.as_mut_ptr(), 2);
            nulls.assume_init()
        };
        assert!(nulls.as_slice().iter().all(Option::is_none));
        nulls.as_mut_slice()[1] = Some(wasm_valtype_new(WASM_I64));
        let mut copy = uninit::<wasm_valtype_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_valtype_vec_copy(&mut *copy.as_mut_ptr(), &nulls);
            copy.assume_init()
        };
        assert!(copy.as_slice()[0].is_none());
        assert_eq!(
            copy.as_slice()[1].as_deref().map(|t| wasm_valtype_kind(t)),
            Some(WASM_I64)
        );
        wasm_valtype_vec_delete(&mut nulls);
        wasm_valtype_vec_delete(&mut copy);

        let mut boxed = wasm_valtype_vec_t::from_boxes(vec![wasm_valtype_new(WASM_I32)]);
        assert_eq!(boxed.take().len(), 1);
        wasm_valtype_vec_delete(&mut boxed);
    }

    #[test]
    fn type_vecs_copy_deeply() {
        let limits = wasm_limits_t { min: 1, max: 2 };
        let mut mems =
            wasm_memorytype_vec_t::from_boxes(vec![crate::types::wasm_memorytype_new(&limits)]);
        let mut copy = uninit::<wasm_memorytype_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_memorytype_vec_copy(&mut *copy.as_mut_ptr(), &mems);
            copy.assume_init()
        };
        wasm_memorytype_vec_delete(&mut mems);
        let l = crate::types::wasm_memorytype_limits(copy.as_slice()[0].as_deref().unwrap());
        assert_eq!((l.min, l.max), (1, 2));
        wasm_memorytype_vec_delete(&mut copy);

        let mut names = empty_byte_vec();
        let mut module = wasm_name_t::from_vec(b"env".to_vec());
        let ty = crate::types::wasm_memorytype_new(&limits);
        let ext = Box::into_raw(ty).cast::<wasm_externtype_t>();
        // SAFETY: a memory type is a `repr(transparent)` extern type.
        let ext = unsafe { Box::from_raw(ext) };
        let import = crate::types::wasm_importtype_new(&mut module, &mut names, Some(ext));
        let mut imports = wasm_importtype_vec_t::from_boxes(vec![import.unwrap()]);
        let mut copy = uninit::<wasm_importtype_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_importtype_vec_copy(&mut *copy.as_mut_ptr(), &imports);
            copy.assume_init()
        };
        wasm_importtype_vec_delete(&mut imports);
        let i = copy.as_slice()[0].as_deref().unwrap();
        assert_eq!(crate::types::wasm_importtype_module(i).as_slice(), b"env");
        assert_eq!(crate::types::wasm_importtype_name(i).as_slice(), b"");
        wasm_importtype_vec_delete(&mut copy);
    }

    #[test]
    fn frame_and_extern_vecs() {
        // Uninitialized: NULLs, copied and deleted as NULLs.
        let mut frames = uninit::<wasm_frame_vec_t>();
        // SAFETY: writable storage, initialized by `_new_uninitialized`.
        let mut frames = unsafe {
            wasm_frame_vec_new_uninitialized(&mut *frames.as_mut_ptr(), 2);
            frames.assume_init()
        };
        let mut copy = uninit::<wasm_frame_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_frame_vec_copy(&mut *copy.as_mut_ptr(), &frames);
            copy.assume_init()
        };
        assert_eq!(copy.size, 2);
        wasm_frame_vec_delete(&mut frames);
        wasm_frame_vec_delete(&mut copy);

        // An extern vector owns its externs and copies them.
        let engine = crate::engine::wasm_engine_new();
        let store = crate::store::wasm_store_new(&engine);
        let ty = crate::types::wasm_memorytype_new(&wasm_limits_t { min: 1, max: 1 });
        let memory = crate::wasm::wasm_memory_new(&store, &ty).expect("a memory");
        let ext = Box::into_raw(memory).cast::<wasm_extern_t>();
        let mut externs = uninit::<wasm_extern_vec_t>();
        // SAFETY: a memory is a `repr(transparent)` extern; it moves in.
        let mut externs = unsafe {
            wasm_extern_vec_new(&mut *externs.as_mut_ptr(), 1, [ext].as_ptr().cast());
            externs.assume_init()
        };
        let mut copy = uninit::<wasm_extern_vec_t>();
        // SAFETY: writable storage, initialized by `_copy`.
        let mut copy = unsafe {
            wasm_extern_vec_copy(&mut *copy.as_mut_ptr(), &externs);
            copy.assume_init()
        };
        wasm_extern_vec_delete(&mut externs);
        let e = copy.as_slice()[0].as_deref().unwrap();
        assert_eq!(
            crate::wasm::wasm_extern_kind(e),
            crate::types::WASM_EXTERN_MEMORY
        );
        wasm_extern_vec_delete(&mut copy);
        crate::types::wasm_memorytype_delete(Some(ty));
        crate::store::wasm_store_delete(Some(store));
        crate::engine::wasm_engine_delete(Some(engine));
    }
}
