//! Helpers for reading C arguments: arrays given as pointer and length,
//! strings given as pointer and length, and the one way the library stops
//! on input it cannot survive (a NULL where the header requires a value).

/// The `len` elements at `ptr`; empty when `len` is 0, whatever `ptr` is
/// (C callers pass NULL for empty arrays).
///
/// # Safety
///
/// When `len > 0`, `ptr` points to `len` initialized elements that stay
/// valid and unaliased by writes for `'a`.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        return &[];
    }
    if ptr.is_null() {
        null_argument("array pointer with a non-zero length");
    }
    // SAFETY: non-null, and the caller guarantees `len` valid elements.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// Like [`slice`], writable.
///
/// # Safety
///
/// When `len > 0`, `ptr` points to `len` initialized elements, valid and
/// not otherwise accessed for `'a`.
pub(crate) unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize) -> &'a mut [T] {
    if len == 0 {
        return &mut [];
    }
    if ptr.is_null() {
        null_argument("array pointer with a non-zero length");
    }
    // SAFETY: non-null, and the caller guarantees `len` valid elements.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

/// The UTF-8 string of `len` bytes at `ptr`, or an error naming `what`.
///
/// # Safety
///
/// As for [`slice`].
pub(crate) unsafe fn str<'a>(ptr: *const u8, len: usize, what: &str) -> anyhow::Result<&'a str> {
    // SAFETY: forwarded to the caller.
    let bytes = unsafe { slice(ptr, len) };
    std::str::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{what} is not valid UTF-8"))
}

/// The NUL-terminated string at `ptr` (invalid UTF-8 replaced), aborting
/// on NULL.
///
/// # Safety
///
/// `ptr` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn c_str<'a>(
    ptr: *const std::ffi::c_char,
    what: &str,
) -> std::borrow::Cow<'a, str> {
    if ptr.is_null() {
        null_argument(what);
    }
    // SAFETY: non-null and NUL-terminated (the caller's contract).
    unsafe { std::ffi::CStr::from_ptr(ptr) }.to_string_lossy()
}

/// Stops the process: a required pointer was NULL. Wasmtime aborts here
/// too (its entry points take references); Kiln says which argument.
#[cold]
pub(crate) fn null_argument(what: &str) -> ! {
    eprintln!("kiln: NULL passed where the C API requires a {what}");
    std::process::abort()
}

/// Stops the process: a handle was used with a store that does not own it.
#[cold]
pub(crate) fn wrong_store(what: &str) -> ! {
    eprintln!("kiln: {what} used with a store that does not own it");
    std::process::abort()
}

/// Writes `value` through the out pointer `out`, aborting if it is NULL.
///
/// # Safety
///
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) {
    if out.is_null() {
        null_argument(what);
    }
    // SAFETY: non-null, and the caller guarantees it is writable.
    unsafe { out.write(value) }
}

/// Writes `value` into `slot` without dropping what was there: out
/// parameters from C hold uninitialized bytes.
pub(crate) fn init<T>(slot: &mut T, value: T) {
    // SAFETY: `slot` is valid for writes; the old contents are garbage and
    // must not be dropped.
    unsafe { std::ptr::write(slot, value) }
}

/// Host data with an optional finalizer, run when the owner drops it or
/// replaces it (a store's data, a host function's environment, an
/// `externref`'s data, a `wasm.h` object's host information).
pub(crate) struct Finalized {
    pub(crate) data: *mut std::ffi::c_void,
    finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
}

impl Finalized {
    pub(crate) fn new(
        data: *mut std::ffi::c_void,
        finalizer: Option<extern "C" fn(*mut std::ffi::c_void)>,
    ) -> Finalized {
        Finalized { data, finalizer }
    }

    /// No data.
    pub(crate) const fn none() -> Finalized {
        Finalized {
            data: std::ptr::null_mut(),
            finalizer: None,
        }
    }
}

impl Drop for Finalized {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer {
            finalizer(self.data);
        }
    }
}

// SAFETY: the C API's contract: data handed to the engine may be used and
// finalized from whichever thread uses its owner (Wasmtime requires the
// same of C embedders).
unsafe impl Send for Finalized {}
// SAFETY: as above; the engine never accesses the data itself.
unsafe impl Sync for Finalized {}
