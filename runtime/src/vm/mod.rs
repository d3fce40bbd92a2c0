//! The raw machinery under the safe API: the `#[repr(C)]` structures
//! compiled code reads (laid out by `kiln_engine::vm_layout`, and checked
//! against it by the tests below), linear memories, libcalls, and entering
//! and leaving wasm. This is where the runtime's `unsafe` concentrates.

pub mod alloc;
pub mod libcalls;
pub mod memory;
pub mod table;
pub mod traphandlers;

use kiln_engine::vm_layout::{VMCTX_MAGIC, VMOffsets};
use std::alloc::Layout;
use std::ptr::NonNull;

/// A pointer to something a store's engine or modules own (a pool, a
/// cache, a memory image), held by what the store owns (its memories and
/// tables) instead of a reference count. Cloning an `Arc` for each memory
/// and table would write a counter every thread instantiating from the
/// same engine shares, and that cache-line traffic, not the work, would
/// set the pace of parallel instantiation.
///
/// The store drops its memories and tables before its modules, and its
/// engine last, which is what makes these pointers valid.
pub struct Unowned<T>(NonNull<T>);

impl<T> Unowned<T> {
    /// A pointer to `target`.
    ///
    /// # Safety
    ///
    /// `target` must outlive every use of the result: it is owned by the
    /// engine of the store the result is kept in, or by a module that
    /// store keeps registered.
    pub unsafe fn new(target: &T) -> Unowned<T> {
        Unowned(NonNull::from(target))
    }
}

impl<T> Clone for Unowned<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Unowned<T> {}

impl<T> std::ops::Deref for Unowned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the target outlives the pointer (`Unowned::new`'s
        // contract).
        unsafe { self.0.as_ref() }
    }
}

// SAFETY: an `Unowned<T>` gives shared access to a `T`, like `&T`, which is
// `Send` and `Sync` when `T` is `Sync`.
unsafe impl<T: Sync> Send for Unowned<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Unowned<T> {}

/// One value slot of the array calling convention: 16 bytes, little-endian,
/// the value at offset 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct ValRaw([u8; 16]);

impl ValRaw {
    /// From a 32-bit value (i32 or f32 bits).
    pub fn from_u32(v: u32) -> ValRaw {
        let mut raw = [0; 16];
        raw[..4].copy_from_slice(&v.to_le_bytes());
        ValRaw(raw)
    }

    /// From a 64-bit value (i64, f64 bits or a reference).
    pub fn from_u64(v: u64) -> ValRaw {
        let mut raw = [0; 16];
        raw[..8].copy_from_slice(&v.to_le_bytes());
        ValRaw(raw)
    }

    /// The low 32 bits.
    pub fn get_u32(&self) -> u32 {
        u32::from_le_bytes(self.0[..4].try_into().expect("4 bytes"))
    }

    /// The low 64 bits.
    pub fn get_u64(&self) -> u64 {
        u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"))
    }
}

/// Per-store state compiled code reads through `VMContext.store_ctx`.
#[derive(Debug)]
#[repr(C)]
pub struct VMStoreContext {
    /// Lowest stack pointer wasm may use; `usize::MAX` while no wasm runs.
    pub stack_limit: usize,
    /// Fuel consumed, negative while fuel remains.
    pub fuel_consumed: i64,
    /// The epoch at which wasm is interrupted.
    pub epoch_deadline: u64,
    /// The engine's epoch counter.
    pub epoch_ptr: *const std::sync::atomic::AtomicU64,
    /// The store that owns this context (set once the store is boxed).
    pub store: *mut crate::store::StoreOpaque,
}

impl VMStoreContext {
    /// The context of a new store of `engine`: no wasm running, no fuel,
    /// no epoch deadline.
    pub fn new(engine: &kiln_engine::Engine) -> Self {
        VMStoreContext {
            stack_limit: usize::MAX,
            fuel_consumed: 0,
            epoch_deadline: u64::MAX,
            epoch_ptr: engine.epoch_ptr(),
            store: std::ptr::null_mut(),
        }
    }
}

/// An imported function as compiled code calls it.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct VMFuncImport {
    /// Code with the wasm calling convention.
    pub wasm_call: *const u8,
    /// The callee's VMContext, or host function context.
    pub vmctx: *mut u8,
}

/// What a `funcref` value points to. The first three fields are read by
/// compiled code; `kind` maps the reference back to a `Func`.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct VMFuncRef {
    /// Code with the wasm calling convention.
    pub wasm_call: *const u8,
    /// The callee's VMContext, or host function context.
    pub vmctx: *mut u8,
    /// Engine-wide id of the function's type.
    pub type_id: u32,
    /// The function, encoded by `Func::encode_kind`.
    pub kind: u64,
}

/// Storage of one global.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(16))]
pub struct VMGlobalDefinition(pub ValRaw);

/// The header every host function context starts with; compiled host
/// trampolines read `array_call` from it.
#[repr(C)]
pub struct VMHostFuncHeader {
    /// [`HOST_MAGIC`].
    pub magic: u32,
    /// Entry point in the array calling convention.
    pub array_call: unsafe extern "C" fn(*mut u8, *mut u8, *mut ValRaw, usize),
}

/// Value of [`VMHostFuncHeader::magic`].
pub const HOST_MAGIC: u32 = u32::from_le_bytes(*b"host");

/// An instance's VMContext allocation, laid out by `VMOffsets`.
pub struct VMContextBox {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the VMContext is only touched by the store that owns it, which
// is itself moved between threads as a whole.
unsafe impl Send for VMContextBox {}

impl VMContextBox {
    /// Allocates a VMContext for `offsets` and writes its header. The rest
    /// is left uninitialized: instantiation writes every field but the
    /// function references, which are written before their first read
    /// (`instance::func_ref_ptr`).
    ///
    /// `store_ctx` is stored, not dereferenced.
    #[allow(
        clippy::not_unsafe_ptr_arg_deref,
        reason = "the pointer is only stored"
    )]
    pub fn new(
        offsets: &VMOffsets,
        store_ctx: *mut VMStoreContext,
        instance_index: usize,
    ) -> VMContextBox {
        let layout =
            Layout::from_size_align(offsets.size().max(16) as usize, 16).expect("VMContext layout");
        let ptr = VmctxCache::take(layout).unwrap_or_else(|| {
            // SAFETY: the layout has a non-zero size.
            let ptr = unsafe { std::alloc::alloc(layout) };
            NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(layout))
        });
        let vmctx = VMContextBox { ptr, layout };
        // SAFETY: the header fields are inside the fresh allocation.
        unsafe {
            vmctx.write(VMOffsets::MAGIC, VMCTX_MAGIC);
            vmctx.write(VMOffsets::STORE_CTX, store_ctx);
            vmctx.write(
                VMOffsets::BUILTINS,
                &libcalls::BUILTINS as *const libcalls::VMBuiltins,
            );
            vmctx.write(VMOffsets::INSTANCE, instance_index);
        }
        vmctx
    }

    /// The VMContext pointer compiled code receives.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Writes a field.
    ///
    /// # Safety
    ///
    /// `offset` must be the offset of a field of type `T` in this layout.
    pub unsafe fn write<T>(&self, offset: u32, value: T) {
        // SAFETY: the caller names a field of this type inside the allocation.
        unsafe {
            self.ptr
                .as_ptr()
                .add(offset as usize)
                .cast::<T>()
                .write(value)
        }
    }

    /// Reads a field.
    ///
    /// # Safety
    ///
    /// `offset` must be the offset of an initialized field of type `T`.
    pub unsafe fn read<T: Copy>(&self, offset: u32) -> T {
        // SAFETY: as for `write`.
        unsafe { self.ptr.as_ptr().add(offset as usize).cast::<T>().read() }
    }
}

impl Drop for VMContextBox {
    fn drop(&mut self) {
        if !VmctxCache::keep(self.ptr, self.layout) {
            // SAFETY: allocated with this layout (in `new`, or for a
            // VMContext whose allocation was kept).
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) }
        }
    }
}

/// Freed large VMContext allocations, kept per thread for the next
/// VMContext of the same size. A module with thousands of functions has a
/// VMContext of tens of KiB (a `VMFuncRef` slot each), which the C
/// allocator serves from fresh pages once it has given freed ones back to
/// the kernel: a page fault or two per instantiation, more than the rest of
/// a pooled instantiation costs.
struct VmctxCache {
    free: Vec<(NonNull<u8>, Layout)>,
    bytes: usize,
}

/// VMContexts at least this large are kept (smaller ones are cheap to
/// allocate).
const VMCTX_KEEP_MIN: usize = 4 << 10;
/// The most bytes of VMContexts one thread keeps (their pages are resident
/// only where instances wrote them).
const VMCTX_KEEP_BYTES: usize = 16 << 20;

thread_local! {
    static VMCTX_CACHE: std::cell::RefCell<VmctxCache> =
        const { std::cell::RefCell::new(VmctxCache { free: Vec::new(), bytes: 0 }) };
}

impl VmctxCache {
    /// A kept allocation of `layout`, if this thread has one.
    fn take(layout: Layout) -> Option<NonNull<u8>> {
        if layout.size() < VMCTX_KEEP_MIN {
            return None;
        }
        VMCTX_CACHE
            .try_with(|cache| {
                let mut cache = cache.try_borrow_mut().ok()?;
                let i = cache.free.iter().rposition(|(_, l)| *l == layout)?;
                let (ptr, _) = cache.free.swap_remove(i);
                cache.bytes -= layout.size();
                Some(ptr)
            })
            .ok()
            .flatten()
    }

    /// Keeps `ptr`, an allocation of `layout` no longer used, if it is
    /// large and this thread has room; false if the caller must free it.
    fn keep(ptr: NonNull<u8>, layout: Layout) -> bool {
        if layout.size() < VMCTX_KEEP_MIN {
            return false;
        }
        VMCTX_CACHE
            .try_with(|cache| {
                let Ok(mut cache) = cache.try_borrow_mut() else {
                    return false;
                };
                if cache.bytes + layout.size() > VMCTX_KEEP_BYTES {
                    return false;
                }
                cache.bytes += layout.size();
                cache.free.push((ptr, layout));
                true
            })
            .unwrap_or(false)
    }
}

impl Drop for VmctxCache {
    fn drop(&mut self) {
        for (ptr, layout) in self.free.drain(..) {
            // SAFETY: each was allocated with its layout and is unused.
            unsafe { std::alloc::dealloc(ptr.as_ptr(), layout) }
        }
    }
}

/// The instance index stored in the header of the VMContext at `vmctx`.
///
/// # Safety
///
/// `vmctx` must point to a live VMContext.
pub unsafe fn instance_index(vmctx: *mut u8) -> usize {
    // SAFETY: the caller passes a live VMContext, whose header holds the index.
    unsafe {
        debug_assert_eq!(
            vmctx.add(VMOffsets::MAGIC as usize).cast::<u32>().read(),
            VMCTX_MAGIC
        );
        vmctx
            .add(VMOffsets::INSTANCE as usize)
            .cast::<usize>()
            .read()
    }
}

/// The store running the VMContext at `vmctx`, from its store context.
///
/// # Safety
///
/// `vmctx` must point to a live VMContext of a store that is running it.
pub unsafe fn store_of(vmctx: *mut u8) -> *mut crate::store::StoreOpaque {
    // SAFETY: the header of a live VMContext holds its store context, which
    // points back to the store.
    unsafe {
        let ctx: *mut VMStoreContext = vmctx
            .add(VMOffsets::STORE_CTX as usize)
            .cast::<*mut VMStoreContext>()
            .read();
        (*ctx).store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_engine() {
        use kiln_engine::vm_layout::*;
        assert_eq!(
            offset_of!(VMStoreContext, stack_limit),
            store_ctx::STACK_LIMIT as usize
        );
        assert_eq!(
            offset_of!(VMStoreContext, fuel_consumed),
            store_ctx::FUEL_CONSUMED as usize
        );
        assert_eq!(
            offset_of!(VMStoreContext, epoch_deadline),
            store_ctx::EPOCH_DEADLINE as usize
        );
        assert_eq!(
            offset_of!(VMStoreContext, epoch_ptr),
            store_ctx::EPOCH_PTR as usize
        );
        assert_eq!(offset_of!(VMStoreContext, store), store_ctx::STORE as usize);
        assert_eq!(size_of::<VMStoreContext>(), store_ctx::SIZE as usize);
        assert_eq!(
            offset_of!(VMFuncRef, wasm_call),
            func_ref::WASM_CALL as usize
        );
        assert_eq!(offset_of!(VMFuncRef, vmctx), func_ref::VMCTX as usize);
        assert_eq!(offset_of!(VMFuncRef, type_id), func_ref::TYPE_ID as usize);
        assert_eq!(size_of::<VMFuncRef>(), func_ref::SIZE as usize);
        assert_eq!(
            offset_of!(table::VMTableDefinition, base),
            table_def::BASE as usize
        );
        assert_eq!(
            offset_of!(table::VMTableDefinition, current_elements),
            table_def::LENGTH as usize
        );
        assert_eq!(offset_of!(table::TableData, def), 0);
        assert_eq!(
            offset_of!(VMFuncImport, wasm_call),
            func_import::WASM_CALL as usize
        );
        assert_eq!(offset_of!(VMFuncImport, vmctx), func_import::VMCTX as usize);
        assert_eq!(size_of::<VMFuncImport>(), func_import::SIZE as usize);
        assert_eq!(size_of::<VMGlobalDefinition>(), GLOBAL_DEF_SIZE as usize);
        assert_eq!(size_of::<ValRaw>(), VAL_RAW_SIZE as usize);
        assert_eq!(
            offset_of!(VMHostFuncHeader, magic),
            host_ctx::MAGIC as usize
        );
        assert_eq!(
            offset_of!(VMHostFuncHeader, array_call),
            host_ctx::ARRAY_CALL as usize
        );
        assert_eq!(
            offset_of!(memory::VMMemoryDefinition, base),
            memory_def::BASE as usize
        );
        assert_eq!(
            offset_of!(memory::VMMemoryDefinition, current_length),
            memory_def::LENGTH as usize
        );
        assert_eq!(
            offset_of!(memory::VMMemoryDefinition, written),
            memory_def::WRITTEN as usize
        );
        assert_eq!(
            size_of::<memory::VMMemoryDefinition>(),
            memory_def::SIZE as usize
        );
        assert_eq!(offset_of!(memory::LinearMemory, def), 0);
        let b = |i: u32| i as usize * 8;
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, memory_grow),
            b(builtins::MEMORY_GROW)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, memory_fill),
            b(builtins::MEMORY_FILL)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, memory_copy),
            b(builtins::MEMORY_COPY)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, memory_init),
            b(builtins::MEMORY_INIT)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, data_drop),
            b(builtins::DATA_DROP)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, table_grow),
            b(builtins::TABLE_GROW)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, table_fill),
            b(builtins::TABLE_FILL)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, table_copy),
            b(builtins::TABLE_COPY)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, table_init),
            b(builtins::TABLE_INIT)
        );
        assert_eq!(
            offset_of!(libcalls::VMBuiltins, elem_drop),
            b(builtins::ELEM_DROP)
        );
        assert_eq!(
            size_of::<libcalls::VMBuiltins>(),
            builtins::COUNT as usize * 8
        );
    }
}
