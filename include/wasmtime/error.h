/**
 * \file wasmtime/error.h
 *
 * \brief Errors: failures that are not traps (a module that does not
 * validate, a link error, a host error), with a message.
 */
#ifndef WASMTIME_ERROR_H
#define WASMTIME_ERROR_H

#include <wasm.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * \typedef wasmtime_error_t
 * \brief An error returned by a `wasmtime_*` function.
 *
 * Functions that can fail return an owned `wasmtime_error_t *`, NULL on
 * success. The caller deletes a non-NULL error with
 * #wasmtime_error_delete.
 */
typedef struct wasmtime_error wasmtime_error_t;

/**
 * \brief Makes an error with the NUL-terminated message `msg`.
 *
 * The message is copied; the caller owns the returned error (a host
 * function may return it through a trap, see #wasmtime_trap_new).
 */
WASM_API_EXTERN wasmtime_error_t *wasmtime_error_new(const char *msg);

/**
 * \brief Deletes an error. NULL is accepted and ignored.
 */
WASM_API_EXTERN void wasmtime_error_delete(wasmtime_error_t *error);

/**
 * \brief Writes the error's message into `message`.
 *
 * `message` is overwritten (its old contents are not freed) with a new
 * byte vector the caller owns and frees with #wasm_byte_vec_delete. The
 * bytes are UTF-8 and not NUL-terminated. The message includes the causes
 * of the error, one per line after `Caused by:`.
 */
WASM_API_EXTERN void wasmtime_error_message(const wasmtime_error_t *error,
                                           wasm_name_t *message);

/**
 * \brief Whether the error is a WASI `proc_exit`, and its status.
 *
 * Kiln has no WASI, so no error carries an exit status: this returns
 * false and leaves `status` untouched.
 */
WASM_API_EXTERN bool wasmtime_error_exit_status(const wasmtime_error_t *,
                                               int *status);

/**
 * \brief Writes the wasm frames of the error into `out`.
 *
 * For an error raised while wasm was running (a trap), the frames are the
 * wasm functions that were live, innermost first; otherwise the vector is
 * empty. The caller owns the vector (#wasm_frame_vec_delete).
 */
WASM_API_EXTERN void wasmtime_error_wasm_trace(const wasmtime_error_t *,
                                              wasm_frame_vec_t *out);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // WASMTIME_ERROR_H
