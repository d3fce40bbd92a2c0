/**
 * \file wasmtime/conf.h
 *
 * \brief The features this build of Kiln's C API provides, named as
 * Wasmtime names them, so code written for Wasmtime can test for them.
 *
 * Kiln compiles with Cranelift (`WASMTIME_FEATURE_CRANELIFT`,
 * `WASMTIME_FEATURE_COMPILER`), parses the text format
 * (`WASMTIME_FEATURE_WAT`), compiles in parallel and has a pooling
 * allocator. It has no WASI, component model, GC, threads, async,
 * profiling or compile cache, so those macros are not defined.
 */
#ifndef WASMTIME_CONF_H
#define WASMTIME_CONF_H

#define WASMTIME_FEATURE_WAT
#define WASMTIME_FEATURE_PARALLEL_COMPILATION
#define WASMTIME_FEATURE_CRANELIFT
#define WASMTIME_FEATURE_POOLING_ALLOCATOR
#define WASMTIME_FEATURE_COMPILER

#endif // WASMTIME_CONF_H
