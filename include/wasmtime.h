/**
 * \file wasmtime.h
 *
 * \brief Kiln's C API: the standard `wasm.h` plus Wasmtime's extensions,
 * with Wasmtime's names, types, layouts and signatures, so a C program
 * written for Wasmtime compiles against these headers and links against
 * `libkiln` unchanged.
 *
 * Build the library with `cargo build --release -p kiln-capi` (it is
 * `target/release/libkiln.so` and `libkiln.a`) and compile with
 * `cc -I include prog.c -L target/release -lkiln` (for the static
 * library add `-lpthread -ldl -lm`).
 *
 * The headers declare only what Kiln implements. Not present: WASI, the
 * component model, async, shared memories, exception tags, GC references
 * other than `externref`, and profiling. Kiln's own additions, prefixed
 * `kiln_`, are in `kiln/cache.h` (the instance-pre cache) and
 * `kiln/precompile.h`.
 */
#ifndef WASMTIME_API_H
#define WASMTIME_API_H

#include <wasm.h>
#include <wasmtime/conf.h>

#include <wasmtime/config.h>
#include <wasmtime/engine.h>
#include <wasmtime/error.h>
#include <wasmtime/extern.h>
#include <wasmtime/externref.h>
#include <wasmtime/func.h>
#include <wasmtime/global.h>
#include <wasmtime/instance.h>
#include <wasmtime/linker.h>
#include <wasmtime/memory.h>
#include <wasmtime/module.h>
#include <wasmtime/store.h>
#include <wasmtime/table.h>
#include <wasmtime/trap.h>
#include <wasmtime/val.h>
#include <wasmtime/wat.h>

/// \brief The Wasmtime C API release these headers match, as a string
/// (Kiln's own version is #KILN_VERSION).
#define WASMTIME_VERSION "50.0.1"
/// \brief The major version of the matched Wasmtime C API.
#define WASMTIME_VERSION_MAJOR 50
/// \brief The minor version of the matched Wasmtime C API.
#define WASMTIME_VERSION_MINOR 0
/// \brief The patch version of the matched Wasmtime C API.
#define WASMTIME_VERSION_PATCH 1

/// \brief Kiln's version.
#define KILN_VERSION "0.1.0"

#endif // WASMTIME_API_H
