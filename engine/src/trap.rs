//! Trap codes: the reasons a WebAssembly computation stops abnormally, with
//! the wording the specification's test suite uses for each.
//!
//! Compiled code records a Cranelift trap code at each trapping instruction;
//! [`TrapCode::from_cranelift`] maps it back when a trap is taken.

use cranelift_codegen::ir;
use std::fmt;

/// Why a WebAssembly computation trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// The `unreachable` instruction was executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Signed division overflow, or float-to-int truncation of a value out of range.
    IntegerOverflow,
    /// Float-to-int truncation of NaN.
    BadConversionToInteger,
    /// A load or store outside the bounds of linear memory.
    MemoryOutOfBounds,
    /// The wasm stack limit was exceeded.
    StackOverflow,
    /// A table access outside the table's bounds.
    TableOutOfBounds,
    /// `call_indirect` on an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` on a null table entry.
    UninitializedElement,
    /// `call_indirect` on a function of the wrong type.
    IndirectCallTypeMismatch,
    /// The epoch deadline was reached.
    Interrupt,
    /// Fuel ran out.
    OutOfFuel,
}

/// Cranelift user trap codes for the traps Cranelift has no reserved code for.
mod user {
    use cranelift_codegen::ir::TrapCode;
    pub const UNREACHABLE: TrapCode = TrapCode::unwrap_user(1);
    pub const TABLE_OUT_OF_BOUNDS: TrapCode = TrapCode::unwrap_user(2);
    pub const UNDEFINED_ELEMENT: TrapCode = TrapCode::unwrap_user(3);
    pub const UNINITIALIZED_ELEMENT: TrapCode = TrapCode::unwrap_user(4);
    pub const BAD_SIGNATURE: TrapCode = TrapCode::unwrap_user(5);
    pub const INTERRUPT: TrapCode = TrapCode::unwrap_user(6);
    pub const OUT_OF_FUEL: TrapCode = TrapCode::unwrap_user(7);
}

impl TrapCode {
    /// The specification's wording for this trap, as used in `assert_trap`.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::Interrupt => "interrupt",
            TrapCode::OutOfFuel => "all fuel consumed",
        }
    }

    /// The Cranelift trap code compiled code uses for this trap.
    pub fn to_cranelift(self) -> ir::TrapCode {
        match self {
            TrapCode::Unreachable => user::UNREACHABLE,
            TrapCode::IntegerDivisionByZero => ir::TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapCode::IntegerOverflow => ir::TrapCode::INTEGER_OVERFLOW,
            TrapCode::BadConversionToInteger => ir::TrapCode::BAD_CONVERSION_TO_INTEGER,
            TrapCode::MemoryOutOfBounds => ir::TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapCode::StackOverflow => ir::TrapCode::STACK_OVERFLOW,
            TrapCode::TableOutOfBounds => user::TABLE_OUT_OF_BOUNDS,
            TrapCode::UndefinedElement => user::UNDEFINED_ELEMENT,
            TrapCode::UninitializedElement => user::UNINITIALIZED_ELEMENT,
            TrapCode::IndirectCallTypeMismatch => user::BAD_SIGNATURE,
            TrapCode::Interrupt => user::INTERRUPT,
            TrapCode::OutOfFuel => user::OUT_OF_FUEL,
        }
    }

    /// Maps a Cranelift trap code back; `None` for a code Kiln never emits.
    pub fn from_cranelift(code: ir::TrapCode) -> Option<TrapCode> {
        const ALL: [TrapCode; 12] = [
            TrapCode::Unreachable,
            TrapCode::IntegerDivisionByZero,
            TrapCode::IntegerOverflow,
            TrapCode::BadConversionToInteger,
            TrapCode::MemoryOutOfBounds,
            TrapCode::StackOverflow,
            TrapCode::TableOutOfBounds,
            TrapCode::UndefinedElement,
            TrapCode::UninitializedElement,
            TrapCode::IndirectCallTypeMismatch,
            TrapCode::Interrupt,
            TrapCode::OutOfFuel,
        ];
        ALL.into_iter().find(|t| t.to_cranelift() == code)
    }

    /// A compact encoding for trap tables and the C API.
    pub fn to_u8(self) -> u8 {
        self.to_cranelift().as_raw().get()
    }

    /// Decodes [`TrapCode::to_u8`].
    pub fn from_u8(byte: u8) -> Option<TrapCode> {
        std::num::NonZeroU8::new(byte).and_then(|b| Self::from_cranelift(ir::TrapCode::from_raw(b)))
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for byte in 1..=255u8 {
            if let Some(code) = TrapCode::from_u8(byte) {
                assert_eq!(code.to_u8(), byte);
                assert_eq!(TrapCode::from_cranelift(code.to_cranelift()), Some(code));
            }
        }
        assert_eq!(
            TrapCode::from_u8(TrapCode::Unreachable.to_u8()),
            Some(TrapCode::Unreachable)
        );
    }
}
