//! The WebAssembly type vocabulary shared by the compiler, the runtime and
//! the embedder: value types, function types, and the types of the four kinds
//! of external entity (functions, globals, memories, tables).

use std::fmt;
use std::sync::Arc;

/// The type of a WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit vector.
    V128,
    /// A nullable reference to a function.
    FuncRef,
    /// A nullable opaque host reference.
    ExternRef,
}

impl ValType {
    /// Converts a `wasmparser` value type, rejecting types outside WebAssembly 2.0.
    pub(crate) fn from_wasmparser(ty: wasmparser::ValType) -> anyhow::Result<ValType> {
        use wasmparser::ValType as W;
        Ok(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) if r == wasmparser::RefType::FUNCREF => ValType::FuncRef,
            W::Ref(r) if r == wasmparser::RefType::EXTERNREF => ValType::ExternRef,
            W::Ref(r) => anyhow::bail!("unsupported reference type {r:?}"),
        })
    }

    /// True for the two reference types.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// The type of a function: its parameters and results.
///
/// Cheap to clone: up to `INLINE_TYPES` (22) value types are held inline and
/// copied, so cloning the type of a typical function touches no reference
/// count shared with other threads; longer lists are shared.
#[derive(Clone)]
pub struct FuncType {
    /// Parameters followed by results.
    types: TypeList,
    num_params: usize,
}

/// The most parameters and results together a [`FuncType`] holds inline.
const INLINE_TYPES: usize = 22;

/// A list of value types: inline when it has at most [`INLINE_TYPES`]
/// entries, shared otherwise (so each list has one representation).
#[derive(Clone)]
enum TypeList {
    Inline(u8, [ValType; INLINE_TYPES]),
    Shared(Arc<[ValType]>),
}

impl TypeList {
    fn new(types: Vec<ValType>) -> TypeList {
        if types.len() <= INLINE_TYPES {
            let mut inline = [ValType::I32; INLINE_TYPES];
            inline[..types.len()].copy_from_slice(&types);
            TypeList::Inline(types.len() as u8, inline)
        } else {
            TypeList::Shared(types.into())
        }
    }

    #[inline]
    fn as_slice(&self) -> &[ValType] {
        match self {
            TypeList::Inline(len, types) => &types[..usize::from(*len)],
            TypeList::Shared(types) => types,
        }
    }
}

impl FuncType {
    /// Creates a function type.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        let mut types: Vec<ValType> = params.into_iter().collect();
        let num_params = types.len();
        types.extend(results);
        FuncType {
            types: TypeList::new(types),
            num_params,
        }
    }

    /// The parameter types.
    #[inline]
    pub fn params(&self) -> &[ValType] {
        &self.types.as_slice()[..self.num_params]
    }

    /// The result types.
    #[inline]
    pub fn results(&self) -> &[ValType] {
        &self.types.as_slice()[self.num_params..]
    }
}

impl PartialEq for FuncType {
    fn eq(&self, other: &FuncType) -> bool {
        self.num_params == other.num_params && self.types.as_slice() == other.types.as_slice()
    }
}

impl Eq for FuncType {}

impl std::hash::Hash for FuncType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.num_params.hash(state);
        self.types.as_slice().hash(state);
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        if !self.params().is_empty() {
            f.write_str(" (param")?;
            for p in self.params() {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
        }
        if !self.results().is_empty() {
            f.write_str(" (result")?;
            for r in self.results() {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// Whether a global can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Immutable.
    Const,
    /// Mutable.
    Var,
}

/// The type of a global: its content and mutability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    pub(crate) content: ValType,
    pub(crate) mutability: Mutability,
}

impl GlobalType {
    /// Creates a global type.
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }

    /// The type of the value held.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// Whether the global is mutable.
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }
}

impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mutability {
            Mutability::Const => write!(f, "(global {})", self.content),
            Mutability::Var => write!(f, "(global (mut {}))", self.content),
        }
    }
}

/// The type of a linear memory: its limits in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub(crate) minimum: u64,
    pub(crate) maximum: Option<u64>,
    pub(crate) memory64: bool,
    pub(crate) shared: bool,
}

impl MemoryType {
    /// Creates the type of a 32-bit memory.
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
            memory64: false,
            shared: false,
        }
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::MemoryType) -> MemoryType {
        MemoryType {
            minimum: ty.initial,
            maximum: ty.maximum,
            memory64: ty.memory64,
            shared: ty.shared,
        }
    }

    /// Minimum size in pages.
    pub fn minimum(&self) -> u64 {
        self.minimum
    }

    /// Maximum size in pages, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }

    /// True for a 64-bit memory.
    pub fn is_64(&self) -> bool {
        self.memory64
    }

    /// True for a shared memory.
    pub fn is_shared(&self) -> bool {
        self.shared
    }
}

impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(memory {}", self.minimum)?;
        if let Some(max) = self.maximum {
            write!(f, " {max}")?;
        }
        f.write_str(")")
    }
}

/// The type of a table: its element type and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    pub(crate) element: ValType,
    pub(crate) minimum: u64,
    pub(crate) maximum: Option<u64>,
}

impl TableType {
    /// Creates a table type.
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
        }
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::TableType) -> anyhow::Result<TableType> {
        Ok(TableType {
            element: ValType::from_wasmparser(wasmparser::ValType::Ref(ty.element_type))?,
            minimum: ty.initial,
            maximum: ty.maximum,
        })
    }

    /// The element type.
    pub fn element(&self) -> ValType {
        self.element
    }

    /// Minimum number of elements.
    pub fn minimum(&self) -> u64 {
        self.minimum
    }

    /// Maximum number of elements, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }
}

impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(table {}", self.minimum)?;
        if let Some(max) = self.maximum {
            write!(f, " {max}")?;
        }
        write!(f, " {})", self.element)
    }
}

/// The type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A linear memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => t.fmt(f),
            ExternType::Global(t) => t.fmt(f),
            ExternType::Memory(t) => t.fmt(f),
            ExternType::Table(t) => t.fmt(f),
        }
    }
}

/// The four kinds of entity index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityIndex {
    /// Index into the function space (imports first).
    Func(u32),
    /// Index into the global space (imports first).
    Global(u32),
    /// Index into the memory space (imports first).
    Memory(u32),
    /// Index into the table space (imports first).
    Table(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn func_types_compare_by_content_inline_or_shared() {
        for n in [0, 1, INLINE_TYPES - 1, INLINE_TYPES, INLINE_TYPES + 1, 40] {
            let params = (0..n).map(|i| {
                if i % 2 == 0 {
                    ValType::I64
                } else {
                    ValType::F32
                }
            });
            let ty = FuncType::new(params.clone(), [ValType::ExternRef]);
            assert_eq!(ty.params().len(), n);
            assert_eq!(ty.results(), &[ValType::ExternRef]);
            assert!(ty.params().iter().step_by(2).all(|&t| t == ValType::I64));
            let copy = ty.clone();
            assert_eq!(copy, ty);
            assert_eq!(copy.to_string(), ty.to_string());
            // The same list split differently is another type.
            let all: Vec<ValType> = ty.params().iter().chain(ty.results()).copied().collect();
            let split = FuncType::new(
                all[..n.saturating_sub(1)].iter().copied(),
                all[n.saturating_sub(1)..].iter().copied(),
            );
            assert_eq!(split == ty, n == 0);
        }
    }
}
