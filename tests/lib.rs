//! Helpers shared by Kiln's cross-crate integration tests (`tests/*.rs`):
//! sets of interesting inputs and one-line instantiation.

use kiln_runtime::{
    AsContextMut, Engine, Extern, Instance, Module, Store, Trap, TrapCode, TypedFunc, WasmParams,
    WasmResults,
};

/// `i32` inputs that reach the edges of every integer operation: zero,
/// ones, the extremes, shift counts around the bit width, byte and
/// half-word boundaries, and a few arbitrary bit patterns.
pub const I32_INPUTS: &[i32] = &[
    0,
    1,
    -1,
    2,
    -2,
    3,
    7,
    -7,
    15,
    16,
    31,
    32,
    33,
    63,
    64,
    100,
    -100,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x1234_5678,
    -0x1234_5679,
    0x0f0f_0f0f,
    0x5555_5555,
    i32::MIN,
    i32::MIN + 1,
    i32::MAX,
    i32::MAX - 1,
];

/// `i64` inputs, in the spirit of [`I32_INPUTS`], including the 32-bit
/// boundaries.
pub const I64_INPUTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    -2,
    7,
    -7,
    31,
    32,
    33,
    63,
    64,
    65,
    127,
    -100,
    0x80,
    0x8000,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    -0x1_0000_0000,
    i32::MIN as i64,
    i32::MAX as i64,
    0x0123_4567_89ab_cdef,
    -0x0123_4567_89ab_cdf0,
    0x00ff_00ff_00ff_00ff,
    0x5555_5555_5555_5555,
    i64::MIN,
    i64::MIN + 1,
    i64::MAX,
    i64::MAX - 1,
];

/// Compiles `wat` and instantiates it in a fresh store with `data` and
/// the given imports.
///
/// # Panics
///
/// If the module does not compile or instantiate: tests use this for
/// modules that must.
pub fn instantiate_with<T>(data: T, wat: &str, imports: &[Extern]) -> (Store<T>, Instance) {
    instantiate_in(&Engine::default(), data, wat, imports)
}

/// [`instantiate_with`] on a given engine.
///
/// # Panics
///
/// If the module does not compile or instantiate.
pub fn instantiate_in<T>(
    engine: &Engine,
    data: T,
    wat: &str,
    imports: &[Extern],
) -> (Store<T>, Instance) {
    let module = Module::new(engine, wat).unwrap_or_else(|e| panic!("compile: {e:#}\n{wat}"));
    let mut store = Store::new(engine, data);
    let instance = Instance::new(&mut store, &module, imports)
        .unwrap_or_else(|e| panic!("instantiate: {e:#}"));
    (store, instance)
}

/// [`instantiate_with`] for a module without imports or store data.
///
/// # Panics
///
/// If the module does not compile or instantiate.
pub fn instantiate(wat: &str) -> (Store<()>, Instance) {
    instantiate_with((), wat, &[])
}

/// The trap code of an error, if it is a trap.
pub fn trap_code(error: &anyhow::Error) -> Option<TrapCode> {
    error.downcast_ref::<Trap>().map(Trap::code)
}

/// The exported function `name` of `instance`, typed.
///
/// # Panics
///
/// If there is no such export or its type differs: tests use this for
/// exports that must exist.
pub fn typed<P: WasmParams, R: WasmResults>(
    store: impl AsContextMut,
    instance: Instance,
    name: &str,
) -> TypedFunc<P, R> {
    instance
        .get_typed_func(store, name)
        .unwrap_or_else(|e| panic!("export `{name}`: {e:#}"))
}
