//! Compilation of a validated module to a [`CodeImage`]: every defined
//! function in parallel, then one array-call and one wasm-to-host
//! trampoline per type.

use crate::Engine;
use crate::TrapCode;
use crate::code::{CodeImage, CompiledCode, Reloc};
use crate::module_info::{FunctionInput, ModuleInfo};
use crate::translate::{self, FuncEnv, MemoryStrategy, ir_type};
use crate::types::FuncType;
use crate::vm_layout::{VAL_RAW_SIZE, VMOffsets, host_ctx};
use anyhow::{Result, anyhow};
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, UserFuncName, types};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{Context, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use wasmparser::FuncValidatorAllocations;

/// How many threads compile a module's functions: the CPUs this process
/// may use, asked once (the answer reads cgroup files).
static PARALLELISM: LazyLock<usize> =
    LazyLock::new(|| std::thread::available_parallelism().map_or(1, |p| p.get()));

/// Per-thread reusable compilation state.
struct Worker {
    ctx: Context,
    builder: FunctionBuilderContext,
    validator: FuncValidatorAllocations,
}

/// `KILN_DEBUG_CLIF` set: print each function's Cranelift IR to stderr.
static DEBUG_CLIF: LazyLock<bool> = LazyLock::new(|| std::env::var_os("KILN_DEBUG_CLIF").is_some());
/// `KILN_DEBUG_ASM` set: print each function's machine code to stderr.
static DEBUG_ASM: LazyLock<bool> = LazyLock::new(|| std::env::var_os("KILN_DEBUG_ASM").is_some());

impl Worker {
    fn new() -> Worker {
        Worker {
            ctx: Context::new(),
            builder: FunctionBuilderContext::new(),
            validator: FuncValidatorAllocations::default(),
        }
    }

    /// Runs Cranelift on `self.ctx.func` and extracts the code.
    fn finish(&mut self, isa: &dyn TargetIsa, index_base: u32) -> Result<CompiledCode> {
        let mut plane = Default::default();
        self.ctx.set_disasm(*DEBUG_ASM);
        self.ctx
            .compile(isa, &mut plane)
            .map_err(|e| anyhow!("compilation failed: {:?}", e.inner))?;
        let compiled = self.ctx.compiled_code().expect("just compiled");
        if let Some(asm) = &compiled.vcode {
            eprintln!("{asm}");
        }
        let buffer = &compiled.buffer;
        let func = &self.ctx.func;
        let mut relocs = Vec::new();
        for r in buffer.relocs() {
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)) => {
                    func.params.user_named_funcs()[*name].index - index_base
                }
                other => return Err(anyhow!("unsupported relocation target {other:?}")),
            };
            relocs.push(Reloc {
                offset: r.offset,
                kind: r.kind,
                target,
                addend: r.addend,
            });
        }
        let traps = buffer
            .traps()
            .iter()
            .map(|t| {
                let code = TrapCode::from_cranelift(t.code)
                    .ok_or_else(|| anyhow!("unexpected trap code {}", t.code))?;
                Ok((t.offset, code))
            })
            .collect::<Result<Vec<_>>>()?;
        let addr_map = buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|s| !s.loc.is_default())
            .map(|s| (s.start, s.loc.bits()))
            .collect();
        let code = CompiledCode {
            bytes: compiled.code_buffer().to_vec(),
            relocs,
            traps,
            addr_map,
            inlined: Vec::new(),
            alignment: isa.function_alignment().preferred,
        };
        self.ctx.clear();
        Ok(code)
    }
}

/// Compiles every defined function and the trampolines of `info`; also
/// says which tables the code writes with inline stores.
pub(crate) fn compile(
    engine: &Engine,
    info: &ModuleInfo,
    offsets: &VMOffsets,
    inputs: Vec<FunctionInput<'_>>,
) -> Result<(CodeImage, Vec<bool>)> {
    let table_sets: Vec<AtomicBool> = info.tables.iter().map(|_| AtomicBool::new(false)).collect();
    let isa = engine.isa();
    let config = engine.config();
    let inliner = if config.inlining {
        translate::Inliner::new(&inputs)
    } else {
        None
    };
    // What every function is translated with; each sets its own `vmctx`.
    let env = FuncEnv {
        info,
        offsets,
        memory: MemoryStrategy {
            reservation: config.memory_reservation,
            guard_size: config.memory_guard_size,
        },
        host_call_conv: isa.default_call_conv(),
        vmctx: ir::Value::from_u32(0),
        fuel: config.consume_fuel,
        epoch: config.epoch_interruption,
        table_sets: &table_sets,
        inliner: inliner.as_ref(),
    };
    let n = inputs.len();
    // Largest bodies first, so no thread is left compiling a big function
    // alone at the end while the others idle.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse({
            let r = inputs[i].body.range();
            r.end - r.start
        })
    });
    let next = AtomicUsize::new(0);
    let inputs: Vec<Mutex<Option<FunctionInput<'_>>>> =
        inputs.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let results: Vec<Mutex<Option<Result<CompiledCode>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let work = || {
        let mut worker = Worker::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let input = inputs[i].lock().unwrap().take().expect("taken once");
            let index = info.num_imported_funcs + i as u32;
            let result = compile_function(&mut worker, isa, &env, index, input);
            *results[i].lock().unwrap() = Some(result);
        }
    };
    let threads = if config.parallel_compilation && n > 1 {
        (*PARALLELISM).min(n)
    } else {
        1
    };
    // This thread is one of the workers.
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    let funcs = results
        .into_iter()
        .map(|r| r.into_inner().unwrap().expect("every function compiled"))
        .collect::<Result<Vec<_>>>()?;

    let mut worker = Worker::new();
    let array = info
        .types
        .iter()
        .map(|ty| array_trampoline(&mut worker, isa, ty))
        .collect::<Result<Vec<_>>>()?;
    let host = info
        .types
        .iter()
        .map(|ty| host_trampoline(&mut worker, isa, ty))
        .collect::<Result<Vec<_>>>()?;
    let table_sets = table_sets.into_iter().map(AtomicBool::into_inner).collect();
    Ok((
        CodeImage::new(funcs, array, host, engine.is_native())?,
        table_sets,
    ))
}

fn compile_function(
    worker: &mut Worker,
    isa: &dyn TargetIsa,
    env: &FuncEnv<'_>,
    index: u32,
    input: FunctionInput<'_>,
) -> Result<CompiledCode> {
    let info = env.info;
    let allocs = std::mem::take(&mut worker.validator);
    let mut validator = input.validator.into_validator(allocs);
    validator.validate(&input.body)?;
    worker.validator = validator.into_allocations();

    worker.ctx.func = ir::Function::with_name_signature(
        UserFuncName::user(0, index),
        translate::wasm_signature(info.func_type(index)),
    );
    let mut b = FunctionBuilder::new(&mut worker.ctx.func, &mut worker.builder);
    let mut env = env.clone();
    let inlined = translate::translate_function(&mut env, &mut b, index, &input.body)?;
    b.finalize(isa.frontend_config());
    if *DEBUG_CLIF {
        eprintln!("{}", worker.ctx.func.display());
    }
    // Calls name functions by their index in the whole function space;
    // the image lays out defined functions only.
    let mut code = worker.finish(isa, info.num_imported_funcs)?;
    code.inlined = inlined;
    Ok(code)
}

/// `extern "C" fn(callee: *const u8, vmctx: *mut u8, caller_vmctx: *mut u8, values: *mut ValRaw)`:
/// loads the arguments from `values`, calls `callee` with the wasm calling
/// convention and stores the results back into `values`.
fn array_trampoline(
    worker: &mut Worker,
    isa: &dyn TargetIsa,
    ty: &FuncType,
) -> Result<CompiledCode> {
    worker.ctx.func = ir::Function::with_name_signature(
        UserFuncName::default(),
        translate::array_trampoline_signature(isa.default_call_conv()),
    );
    let mut b = FunctionBuilder::new(&mut worker.ctx.func, &mut worker.builder);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let [callee, vmctx, caller_vmctx, values] = b.block_params(entry) else {
        unreachable!("four parameters")
    };
    let (callee, vmctx, caller_vmctx, values) = (*callee, *vmctx, *caller_vmctx, *values);
    let flags = MemFlagsData::trusted();
    let mut args = vec![vmctx, caller_vmctx];
    for (i, p) in ty.params().iter().enumerate() {
        let off = (i as u32 * VAL_RAW_SIZE) as i32;
        args.push(b.ins().load(ir_type(*p), flags, values, off));
    }
    let sig = b.import_signature(translate::wasm_signature(ty));
    let call = b.ins().call_indirect(sig, callee, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        let off = (i as u32 * VAL_RAW_SIZE) as i32;
        b.ins().store(flags, r, values, off);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    worker.finish(isa, 0)
}

/// A function with the wasm calling convention for type `ty` that spills
/// its arguments into a `ValRaw` array on the stack and calls the host
/// function's `array_call` entry, found in its context.
fn host_trampoline(
    worker: &mut Worker,
    isa: &dyn TargetIsa,
    ty: &FuncType,
) -> Result<CompiledCode> {
    worker.ctx.func =
        ir::Function::with_name_signature(UserFuncName::default(), translate::wasm_signature(ty));
    let mut b = FunctionBuilder::new(&mut worker.ctx.func, &mut worker.builder);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let params = b.block_params(entry).to_vec();
    let (callee_vmctx, caller_vmctx) = (params[0], params[1]);
    let slots = ty.params().len().max(ty.results().len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(ir::StackSlotData::new(
        ir::StackSlotKind::ExplicitSlot,
        slots * VAL_RAW_SIZE,
        4,
    ));
    let flags = MemFlagsData::trusted();
    for (i, v) in params[2..].iter().enumerate() {
        b.ins()
            .stack_store(types::I64, *v, slot, (i as u32 * VAL_RAW_SIZE) as i32);
    }
    let values = b.ins().stack_addr(types::I64, slot, 0);
    let len = b.ins().iconst(types::I64, i64::from(slots));
    let fptr = b
        .ins()
        .load(types::I64, flags, callee_vmctx, host_ctx::ARRAY_CALL as i32);
    let sig = b.import_signature(translate::host_array_signature(isa.default_call_conv()));
    b.ins()
        .call_indirect(sig, fptr, &[callee_vmctx, caller_vmctx, values, len]);
    let results: Vec<_> = ty
        .results()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            b.ins().stack_load(
                types::I64,
                ir_type(*r),
                slot,
                (i as u32 * VAL_RAW_SIZE) as i32,
            )
        })
        .collect();
    b.ins().return_(&results);
    b.finalize(isa.frontend_config());
    worker.finish(isa, 0)
}

/// A code image holding just the wasm-to-host trampoline of `ty`.
pub(crate) fn standalone_host_trampoline(engine: &Engine, ty: &FuncType) -> Result<CodeImage> {
    let mut worker = Worker::new();
    let code = host_trampoline(&mut worker, engine.isa(), ty)?;
    CodeImage::new(Vec::new(), Vec::new(), vec![code], engine.is_native())
}
