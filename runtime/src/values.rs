//! `Val`: a WebAssembly value as the host sees it.

use crate::externals::ExternRef;
use crate::func::Func;
use crate::store::StoreOpaque;
use crate::vm::ValRaw;
use anyhow::Result;
use kiln_engine::ValType;

/// A WebAssembly value. Floats are kept as bits so NaN payloads survive.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
    /// A `funcref`: a function or null.
    FuncRef(Option<Func>),
    /// An `externref`: host data or null.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        match self {
            Val::F32(v) => Some(f32::from_bits(*v)),
            _ => None,
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Val::F64(v) => Some(f64::from_bits(*v)),
            _ => None,
        }
    }

    /// The `funcref`, if this is one.
    pub fn funcref(&self) -> Option<Option<Func>> {
        match self {
            Val::FuncRef(f) => Some(*f),
            _ => None,
        }
    }

    /// The `externref`, if this is one.
    pub fn externref(&self) -> Option<Option<ExternRef>> {
        match self {
            Val::ExternRef(e) => Some(*e),
            _ => None,
        }
    }

    /// The zero (or null) value of a type, if the host can hold it.
    pub fn default_for(ty: ValType) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::V128 => return None,
        })
    }

    /// Bit-exact equality (NaNs with equal bits are equal; references by identity).
    pub fn bit_eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::I32(a), Val::I32(b)) => a == b,
            (Val::I64(a), Val::I64(b)) => a == b,
            (Val::F32(a), Val::F32(b)) => a == b,
            (Val::F64(a), Val::F64(b)) => a == b,
            (Val::FuncRef(a), Val::FuncRef(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            },
            (Val::ExternRef(a), Val::ExternRef(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            },
            _ => false,
        }
    }

    /// Into a raw value slot of `store` (as compiled code and
    /// [`Func::call_unchecked`] see it).
    ///
    /// # Errors
    ///
    /// A reference from another store.
    pub fn to_raw_in(self, mut store: impl crate::AsContextMut) -> Result<ValRaw> {
        self.to_raw(&mut store.as_context_mut().0.opaque)
    }

    /// A value of type `ty` read from a raw slot of `store`.
    ///
    /// # Safety
    ///
    /// A non-null `funcref` slot holds a function reference of `store`.
    ///
    /// # Panics
    ///
    /// `ty` is `v128`, which the host API does not represent.
    pub unsafe fn from_raw_in(store: impl crate::AsContext, raw: ValRaw, ty: ValType) -> Val {
        Val::from_raw(&store.as_context().0.opaque, raw, ty)
    }

    /// Into a raw slot of `store`.
    ///
    /// # Errors
    ///
    /// A reference from another store.
    pub(crate) fn to_raw(self, store: &mut StoreOpaque) -> Result<ValRaw> {
        Ok(match self {
            Val::I32(v) => ValRaw::from_u32(v as u32),
            Val::I64(v) => ValRaw::from_u64(v as u64),
            Val::F32(v) => ValRaw::from_u32(v),
            Val::F64(v) => ValRaw::from_u64(v),
            Val::FuncRef(None) | Val::ExternRef(None) => ValRaw::default(),
            Val::FuncRef(Some(f)) => {
                anyhow::ensure!(f.store == store.id, "function used with the wrong store");
                ValRaw::from_u64(f.func_ref(store)? as u64)
            }
            Val::ExternRef(Some(e)) => {
                anyhow::ensure!(e.store == store.id, "externref used with the wrong store");
                ValRaw::from_u64(u64::from(e.encode()))
            }
        })
    }

    /// Reads a value of type `ty` from a raw slot of store `store`.
    ///
    /// # Panics
    ///
    /// For `v128`, which the host cannot hold yet (validation keeps it out).
    pub(crate) fn from_raw(store: &StoreOpaque, raw: ValRaw, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw.get_u32() as i32),
            ValType::I64 => Val::I64(raw.get_u64() as i64),
            ValType::F32 => Val::F32(raw.get_u32()),
            ValType::F64 => Val::F64(raw.get_u64()),
            ValType::FuncRef => Val::FuncRef(match raw.get_u64() {
                0 => None,
                // SAFETY: a non-null funcref of this store points to one
                // of its live `VMFuncRef`s.
                p => Some(unsafe { Func::from_func_ref(store.id, p as *const _) }),
            }),
            ValType::ExternRef => Val::ExternRef(ExternRef::decode(store.id, raw.get_u32())),
            ValType::V128 => panic!("v128 values are not supported by the host API"),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}
