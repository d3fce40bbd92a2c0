/**
 * \file wasmtime/trap.h
 *
 * \brief Traps: wasm stopping abnormally, with a code and the wasm frames
 * that were live.
 */
#ifndef WASMTIME_TRAP_H
#define WASMTIME_TRAP_H

#include <wasm.h>

#ifdef __cplusplus
extern "C" {
#endif

/// \brief Why wasm trapped (#WASMTIME_TRAP_CODE_STACK_OVERFLOW, ...).
typedef uint8_t wasmtime_trap_code_t;

/**
 * \brief Trap codes, numbered as Wasmtime numbers them.
 *
 * Kiln's wasm raises the codes up to #WASMTIME_TRAP_CODE_OUT_OF_FUEL
 * (except #WASMTIME_TRAP_CODE_HEAP_MISALIGNED); the others belong to
 * proposals Kiln does not implement, and appear only on traps made with
 * #wasmtime_trap_new_code.
 */
enum wasmtime_trap_code_enum {
  /// The call stack was exhausted (`max_wasm_stack`).
  WASMTIME_TRAP_CODE_STACK_OVERFLOW,
  /// A load or store outside linear memory.
  WASMTIME_TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
  /// A misaligned atomic access.
  WASMTIME_TRAP_CODE_HEAP_MISALIGNED,
  /// An access outside a table (including `call_indirect` past its end).
  WASMTIME_TRAP_CODE_TABLE_OUT_OF_BOUNDS,
  /// `call_indirect` of a null element.
  WASMTIME_TRAP_CODE_INDIRECT_CALL_TO_NULL,
  /// `call_indirect` of a function of another type.
  WASMTIME_TRAP_CODE_BAD_SIGNATURE,
  /// Integer overflow (`i32.div_s` of INT_MIN by -1, ...).
  WASMTIME_TRAP_CODE_INTEGER_OVERFLOW,
  /// Integer division by zero.
  WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO,
  /// A float-to-integer conversion of NaN or out of range.
  WASMTIME_TRAP_CODE_BAD_CONVERSION_TO_INTEGER,
  /// `unreachable`.
  WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED,
  /// The epoch deadline was reached.
  WASMTIME_TRAP_CODE_INTERRUPT,
  /// Fuel ran out.
  WASMTIME_TRAP_CODE_OUT_OF_FUEL,
  /// Atomic wait on a non-shared memory (threads proposal).
  WASMTIME_TRAP_CODE_ATOMIC_WAIT_NON_SHARED_MEMORY,
  /// Null reference (GC proposal).
  WASMTIME_TRAP_CODE_NULL_REFERENCE,
  /// Array access out of bounds (GC proposal).
  WASMTIME_TRAP_CODE_ARRAY_OUT_OF_BOUNDS,
  /// Allocation too large (GC proposal).
  WASMTIME_TRAP_CODE_ALLOCATION_TOO_LARGE,
  /// Failed cast (GC proposal).
  WASMTIME_TRAP_CODE_CAST_FAILURE,
  /// Component re-entrance (component model).
  WASMTIME_TRAP_CODE_CANNOT_ENTER_COMPONENT,
  /// Async-lifted export without a result (component model).
  WASMTIME_TRAP_CODE_NO_ASYNC_RESULT,
  /// Unhandled tag (stack switching).
  WASMTIME_TRAP_CODE_UNHANDLED_TAG,
  /// Continuation resumed twice (stack switching).
  WASMTIME_TRAP_CODE_CONTINUATION_ALREADY_CONSUMED,
  /// Disabled opcode.
  WASMTIME_TRAP_CODE_DISABLED_OPCODE,
  /// Async deadlock (component model).
  WASMTIME_TRAP_CODE_ASYNC_DEADLOCK,
};

/**
 * \brief Makes a trap with the message of `len` bytes at `msg` (copied).
 *
 * Returned from a host function, it stops the calling wasm; the caller of
 * that wasm then receives it as an error (not a trap, since it carries no
 * trap code), as in Wasmtime. The caller owns the trap.
 */
WASM_API_EXTERN wasm_trap_t *wasmtime_trap_new(const char *msg, size_t len);

/**
 * \brief Makes a trap with trap code `code`; returned from a host
 * function, its caller receives it as a trap with that code.
 */
WASM_API_EXTERN wasm_trap_t *wasmtime_trap_new_code(wasmtime_trap_code_t code);

/**
 * \brief Writes the trap's code to `code` and returns true, or returns
 * false if the trap has no code (a host trap with a message).
 */
WASM_API_EXTERN bool wasmtime_trap_code(const wasm_trap_t *,
                                        wasmtime_trap_code_t *code);

/**
 * \brief The frame's function name (from the module's name section), or
 * NULL. Owned by the frame.
 */
WASM_API_EXTERN const wasm_name_t *
wasmtime_frame_func_name(const wasm_frame_t *);

/**
 * \brief The frame's module name (from the name section), or NULL. Owned
 * by the frame.
 */
WASM_API_EXTERN const wasm_name_t *
wasmtime_frame_module_name(const wasm_frame_t *);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_TRAP_H
