//! Translation of one function body from WebAssembly to Cranelift IR.
//!
//! One pass over the operators with two stacks: the operand stack of SSA
//! values and the control stack of open blocks, loops and ifs. Code after an
//! unconditional branch is unreachable; it is skipped, counting only the
//! nesting of the blocks it opens so `else` and `end` land on the right frame.
//!
//! Invariant: when `reachable` is true, the builder is positioned in a block
//! that can still take instructions.

mod env;
mod inline;

pub use inline::{INLINE_MAX_BODY, Inliner};

pub use env::{
    FuncEnv, MemoryStrategy, array_trampoline_signature, host_array_signature, ir_type,
    wasm_signature,
};

use crate::TrapCode;
use crate::code::{INLINED, InlineFrame};
use crate::module_info::ModuleInfo;
use crate::types::ValType;
use crate::vm_layout::{self, VMOffsets};
use anyhow::{Result, bail};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{
    self, BlockArg, InstBuilder, JumpTableData, MemFlagsData, SourceLoc, Value, types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use wasmparser::{BlockType, FunctionBody, MemArg, Operator};

/// What kind of construct a control frame is.
enum FrameKind {
    /// `block`, and the function body itself.
    Block,
    /// `loop`: branches go back to `header`.
    Loop { header: ir::Block },
    /// `if`: `else_block` is entered when the condition is false, with
    /// `else_params` restored on the stack.
    If {
        else_block: ir::Block,
        else_params: Vec<Value>,
        else_seen: bool,
    },
}

/// One open control construct.
struct Frame {
    kind: FrameKind,
    /// Where control continues after `end`; its parameters are the results.
    dest: ir::Block,
    num_params: usize,
    num_results: usize,
    /// Operand stack height below the frame's parameters.
    stack_base: usize,
    /// True once some branch or fallthrough reaches `dest`.
    dest_reached: bool,
}

impl Frame {
    fn branch_target(&self) -> (ir::Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.dest, self.num_results),
        }
    }
}

/// Translates function `index` with body `body` into `b`'s function;
/// returns the frames of the calls it inlined, which its source
/// locations refer to (see [`crate::code::INLINED`]).
pub fn translate_function(
    env: &mut FuncEnv<'_>,
    b: &mut FunctionBuilder<'_>,
    index: u32,
    body: &FunctionBody<'_>,
) -> Result<Vec<InlineFrame>> {
    let ty = env.info.func_type(index).clone();
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    env.vmctx = b.block_params(entry)[0];

    // The stack limit lives in the store context, reached through the vmctx.
    let vmctx_gv = b.create_global_value(ir::GlobalValueData::VMContext);
    let flags = b.func.dfg.mem_flags.insert_unchecked(env::readonly());
    let store_gv = b.create_global_value(ir::GlobalValueData::Load {
        base: vmctx_gv,
        offset: (VMOffsets::STORE_CTX as i32).into(),
        global_type: types::I64,
        flags,
    });
    let flags = b
        .func
        .dfg
        .mem_flags
        .insert_unchecked(MemFlagsData::trusted());
    let limit_gv = b.create_global_value(ir::GlobalValueData::Load {
        base: store_gv,
        offset: (vm_layout::store_ctx::STACK_LIMIT as i32).into(),
        global_type: types::I64,
        flags,
    });
    b.func.stack_limit = Some(limit_gv);

    let params: Vec<Value> = b.block_params(entry)[2..].to_vec();
    let locals = declare_locals(b, &ty, &params, body)?;

    let store_ctx = b.ins().load(
        types::I64,
        env::readonly(),
        env.vmctx,
        VMOffsets::STORE_CTX as i32,
    );
    let fuel_var = env.fuel.then(|| {
        let var = b.declare_var(types::I64);
        let fuel = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            store_ctx,
            vm_layout::store_ctx::FUEL_CONSUMED as i32,
        );
        b.def_var(var, fuel);
        var
    });

    let exit = b.create_block();
    for r in ty.results() {
        b.append_block_param(exit, ir_type(*r));
    }
    let mut t = Translator::for_body(
        b,
        env,
        locals,
        exit,
        ty.results().len(),
        store_ctx,
        fuel_var,
    );
    t.budget = inline::INLINE_BUDGET;
    t.interrupt_checks();
    t.translate_operators(body)?;
    let (frames, writes) = (t.frames, t.writes);
    mark_written(b.func, env, entry, &writes);
    Ok(frames)
}

/// Inserts, at the start of the function, a store that sets the
/// `written` flag of each memory in `memories` (see
/// [`vm_layout::memory_def::WRITTEN`]): once per call of a function that
/// writes a memory, rather than once per store.
fn mark_written(func: &mut ir::Function, env: &FuncEnv<'_>, entry: ir::Block, memories: &[u32]) {
    use cranelift_codegen::cursor::{Cursor, FuncCursor};
    let mut pos = FuncCursor::new(func).at_first_insertion_point(entry);
    for &m in memories {
        let def = pos.ins().load(
            types::I64,
            env::readonly(),
            env.vmctx,
            env.offsets.memory(m) as i32,
        );
        let one = pos.ins().iconst(types::I8, 1);
        pos.ins().store(
            MemFlagsData::trusted(),
            one,
            def,
            vm_layout::memory_def::WRITTEN as i32,
        );
    }
}

/// Declares the variables of a function's locals: its parameters, set to
/// `params`, then the locals its body declares, set to zero.
fn declare_locals(
    b: &mut FunctionBuilder<'_>,
    ty: &crate::types::FuncType,
    params: &[Value],
    body: &FunctionBody<'_>,
) -> Result<Vec<Variable>> {
    let mut locals = Vec::new();
    for (param, value) in ty.params().iter().zip(params) {
        let var = b.declare_var(ir_type(*param));
        b.def_var(var, *value);
        locals.push(var);
    }
    let mut reader = body.get_locals_reader()?;
    for _ in 0..reader.get_count() {
        let (count, ty) = reader.read()?;
        let ty = ValType::from_wasmparser(ty)?;
        for _ in 0..count {
            let var = b.declare_var(ir_type(ty));
            let zero = zero_value(b, ty);
            b.def_var(var, zero);
            locals.push(var);
        }
    }
    Ok(locals)
}

fn zero_value(b: &mut FunctionBuilder<'_>, ty: ValType) -> Value {
    match ty {
        ValType::I32 => b.ins().iconst(types::I32, 0),
        ValType::I64 | ValType::FuncRef | ValType::ExternRef => b.ins().iconst(types::I64, 0),
        ValType::F32 => b.ins().f32const(Ieee32::with_bits(0)),
        ValType::F64 => b.ins().f64const(Ieee64::with_bits(0)),
        ValType::V128 => {
            let zero = b.ins().iconst(types::I64, 0);
            let wide = b.ins().splat(types::I64X2, zero);
            b.ins().bitcast(
                types::I8X16,
                MemFlagsData::new().with_endianness(ir::Endianness::Little),
                wide,
            )
        }
    }
}

struct Translator<'a, 'b, 'm> {
    b: &'a mut FunctionBuilder<'b>,
    env: &'a FuncEnv<'m>,
    stack: Vec<Value>,
    control: Vec<Frame>,
    locals: Vec<Variable>,
    reachable: bool,
    /// Depth of blocks opened inside unreachable code.
    unreachable_depth: u32,
    /// The `VMStoreContext` pointer.
    store_ctx: Value,
    /// Fuel consumed so far, kept in a variable between calls (with fuel on).
    fuel_var: Option<Variable>,
    /// Fuel of the operators translated since the variable was last updated.
    fuel_pending: i64,
    /// Translating a body inlined into the function: the inlined
    /// function (a defined index) and the source location of the call.
    inlined_from: Option<(u32, u32)>,
    /// The source location of the operator being translated.
    loc: SourceLoc,
    /// The frames of inlined code so far, which source locations with
    /// [`INLINED`] index.
    frames: Vec<InlineFrame>,
    /// Wasm bytes of callee bodies this function may still inline; zero
    /// inside an inlined body, so inlining is one level deep.
    budget: usize,
    /// The memories the function's code writes (its inlined bodies'
    /// included), in the order first seen.
    writes: Vec<u32>,
}

/// Fuel an operator costs: control bookkeeping is free, the rest costs one.
fn fuel_cost(op: &Operator<'_>) -> i64 {
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::End
        | Operator::Else
        | Operator::Unreachable
        | Operator::Return => 0,
        _ => 1,
    }
}

/// Operators before which pending fuel is added to the variable: those
/// that leave the current basic block.
fn ends_fuel_region(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}

fn block_arity(info: &ModuleInfo, ty: BlockType) -> (Vec<ir::Type>, Vec<ir::Type>) {
    match ty {
        BlockType::Empty => (vec![], vec![]),
        BlockType::Type(t) => (
            vec![],
            vec![ir_type(
                ValType::from_wasmparser(t).expect("validated type"),
            )],
        ),
        BlockType::FuncType(i) => {
            let ft = &info.types[i as usize];
            (
                ft.params().iter().map(|t| ir_type(*t)).collect(),
                ft.results().iter().map(|t| ir_type(*t)).collect(),
            )
        }
    }
}

fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl<'a, 'b, 'm> Translator<'a, 'b, 'm> {
    /// A translator for a function body (the function's, or one being
    /// inlined) whose results go to `dest`: the body's frame open, the
    /// stack empty, inlining off until `budget` is set.
    fn for_body(
        b: &'a mut FunctionBuilder<'b>,
        env: &'a FuncEnv<'m>,
        locals: Vec<Variable>,
        dest: ir::Block,
        num_results: usize,
        store_ctx: Value,
        fuel_var: Option<Variable>,
    ) -> Self {
        Translator {
            b,
            env,
            stack: Vec::new(),
            control: vec![Frame {
                kind: FrameKind::Block,
                dest,
                num_params: 0,
                num_results,
                stack_base: 0,
                dest_reached: false,
            }],
            locals,
            reachable: true,
            unreachable_depth: 0,
            store_ctx,
            fuel_var,
            fuel_pending: 0,
            inlined_from: None,
            loc: SourceLoc::default(),
            frames: Vec::new(),
            budget: 0,
            writes: Vec::new(),
        }
    }

    /// Adds pending fuel to the fuel variable.
    fn flush_fuel(&mut self) {
        if let Some(var) = self.fuel_var
            && self.fuel_pending != 0
        {
            let v = self.b.use_var(var);
            let v = self.b.ins().iadd_imm_s(v, self.fuel_pending);
            self.b.def_var(var, v);
        }
        self.fuel_pending = 0;
    }

    /// Writes the fuel variable back to the store (before calls and returns).
    fn spill_fuel(&mut self) {
        if let Some(var) = self.fuel_var {
            let v = self.b.use_var(var);
            self.b.ins().store(
                MemFlagsData::trusted(),
                v,
                self.store_ctx,
                vm_layout::store_ctx::FUEL_CONSUMED as i32,
            );
        }
    }

    /// Reloads the fuel variable from the store (after calls).
    fn reload_fuel(&mut self) {
        if let Some(var) = self.fuel_var {
            let v = self.b.ins().load(
                types::I64,
                MemFlagsData::trusted(),
                self.store_ctx,
                vm_layout::store_ctx::FUEL_CONSUMED as i32,
            );
            self.b.def_var(var, v);
        }
    }

    /// Fuel and epoch checks, at function entry and loop headers.
    fn interrupt_checks(&mut self) {
        if let Some(var) = self.fuel_var {
            let v = self.b.use_var(var);
            let out = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, v, 0);
            self.b.ins().trapnz(out, TrapCode::OutOfFuel.to_cranelift());
        }
        if self.env.epoch {
            let ptr = self.b.ins().load(
                types::I64,
                env::readonly(),
                self.store_ctx,
                vm_layout::store_ctx::EPOCH_PTR as i32,
            );
            // Written by other threads: an atomic load, which alias analysis
            // never merges with an earlier one (a plain `mov` on x86-64).
            let now = self
                .b
                .ins()
                .atomic_load(types::I64, MemFlagsData::trusted(), ptr);
            let deadline = self.b.ins().load(
                types::I64,
                MemFlagsData::trusted(),
                self.store_ctx,
                vm_layout::store_ctx::EPOCH_DEADLINE as i32,
            );
            let due = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, now, deadline);
            // Past the deadline: the store's callback (if any) may extend
            // it; otherwise the libcall says trap.
            let reached = self.b.create_block();
            let cont = self.b.create_block();
            self.b.ins().brif(due, reached, &[], cont, &[]);
            self.b.set_cold_block(reached);
            self.b.switch_to_block(reached);
            self.b.seal_block(reached);
            self.spill_fuel();
            self.checked_builtin(
                vm_layout::builtins::EPOCH_REACHED,
                &[],
                &[],
                TrapCode::Interrupt,
            );
            self.reload_fuel();
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
            self.b.seal_block(cont);
        }
    }

    /// Calls a libcall that returns 0 to ask for a trap with `code`.
    fn checked_builtin(&mut self, which: u32, params: &[ir::Type], args: &[Value], code: TrapCode) {
        let ok = self
            .env
            .call_builtin(self.b, which, params, &[types::I32], args);
        self.b.ins().trapz(ok[0], code.to_cranelift());
    }

    /// Returns from the function.
    fn emit_return(&mut self, results: &[Value]) {
        self.spill_fuel();
        self.b.ins().return_(results);
    }

    /// Translates the operators of `body`, the function's or one being
    /// inlined into it.
    fn translate_operators(&mut self, body: &FunctionBody<'_>) -> Result<()> {
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset()?;
            self.set_loc(offset as u32);
            if self.reachable {
                self.operator(&op)?;
            } else {
                self.unreachable_operator(&op)?;
            }
        }
        Ok(())
    }

    /// Makes wasm offset `offset` (of the body being translated) the
    /// source location of the instructions that follow.
    fn set_loc(&mut self, offset: u32) {
        let loc = match self.inlined_from {
            None => offset,
            Some((func, caller)) => {
                self.frames.push(InlineFrame {
                    func,
                    offset,
                    caller,
                });
                INLINED | (self.frames.len() - 1) as u32
            }
        };
        self.loc = SourceLoc::new(loc);
        self.b.set_srcloc(self.loc);
    }

    /// The body of `callee` if this call to it is to be inlined: it is a
    /// small, valid, defined function and the budget allows it (which it
    /// then pays).
    fn inline_candidate(&mut self, callee: u32) -> Option<(u32, FunctionBody<'m>)> {
        let inliner = self.env.inliner?;
        let defined = callee.checked_sub(self.env.info.num_imported_funcs)?;
        let body = inliner.body(defined)?;
        let len = inline::body_len(body);
        if len > self.budget {
            return None;
        }
        self.budget -= len;
        Some((defined, body.clone()))
    }

    /// Translates a call to defined function `defined` as its `body`, in
    /// place, with `args` as its parameters; leaves its results on the
    /// stack.
    fn inline_call(&mut self, defined: u32, body: &FunctionBody<'_>, args: &[Value]) -> Result<()> {
        let index = defined + self.env.info.num_imported_funcs;
        let ty = self.env.info.func_type(index).clone();
        let ret = self.b.create_block();
        for r in ty.results() {
            self.b.append_block_param(ret, ir_type(*r));
        }
        // The store sees the fuel a call would show it: written before
        // the call and at the callee's return, so a trap reports the same
        // consumption either way.
        self.spill_fuel();
        let locals = declare_locals(self.b, &ty, args, body)?;
        let caller = self.loc.bits();
        let mut inner = Translator::for_body(
            &mut *self.b,
            self.env,
            locals,
            ret,
            ty.results().len(),
            self.store_ctx,
            self.fuel_var,
        );
        inner.inlined_from = Some((defined, caller));
        inner.loc = self.loc;
        inner.frames = std::mem::take(&mut self.frames);
        inner.writes = std::mem::take(&mut self.writes);
        // The checks a call would make on entry, located at the start of
        // the callee's body.
        inner.set_loc(body.range().start as u32);
        inner.interrupt_checks();
        inner.translate_operators(body)?;
        // The body's last `end` left the builder in `ret`, with the
        // results on the stack, or, if nothing reaches `ret`, trapping.
        let (results, reachable) = (std::mem::take(&mut inner.stack), inner.reachable);
        self.frames = std::mem::take(&mut inner.frames);
        self.writes = std::mem::take(&mut inner.writes);
        self.b.set_srcloc(self.loc);
        if reachable {
            self.spill_fuel();
        }
        self.stack.extend(results);
        self.reachable = reachable;
        Ok(())
    }

    /// Notes that the function writes memory `mem`.
    fn writes_memory(&mut self, mem: u32) {
        if !self.writes.contains(&mem) {
            self.writes.push(mem);
        }
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated operand stack")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    fn peekn(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop();
        let v = f(self.b, x);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let v = f(self.b, x, y);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().icmp(cc, x, y);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().fcmp(cc, x, y);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn eqz(&mut self) {
        let x = self.pop();
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    /// `extendN_s`: sign-extends the low `narrow` bits in place.
    fn sext_in_place(&mut self, ty: ir::Type, narrow: ir::Type) {
        self.unop(|b, x| {
            let low = b.ins().ireduce(narrow, x);
            b.ins().sextend(ty, low)
        });
    }

    fn load(&mut self, memarg: &MemArg, ty: ir::Type, size: u32, ext: Option<bool>) {
        let addr = self.pop();
        let (native, imm) =
            self.env
                .memory_addr(self.b, memory_index(memarg), addr, memarg.offset, size);
        let flags = heap_flags();
        let v = match (size, ext) {
            (_, None) => self.b.ins().load(ty, flags, native, imm),
            (1, Some(true)) => self.b.ins().sload8(ty, flags, native, imm),
            (1, Some(false)) => self.b.ins().uload8(ty, flags, native, imm),
            (2, Some(true)) => self.b.ins().sload16(ty, flags, native, imm),
            (2, Some(false)) => self.b.ins().uload16(ty, flags, native, imm),
            (4, Some(true)) => self.b.ins().sload32(flags, native, imm),
            (4, Some(false)) => self.b.ins().uload32(flags, native, imm),
            _ => unreachable!("no {size}-byte extending load"),
        };
        self.push(v);
    }

    /// `memory.copy` within one 32-bit memory: both ranges checked
    /// inline (a trap before anything is written), copies of at most 16
    /// bytes done inline, longer ones by the libcall. Compilers emit
    /// `memory.copy` for every small `memcpy`, so the short ones are
    /// common.
    fn memory_copy_within(&mut self, mem: u32, dst: Value, src: Value, len: Value) {
        use ir::condcodes::IntCC;
        let def = self.env.memory_def(self.b, mem);
        let length = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            def,
            vm_layout::memory_def::LENGTH as i32,
        );
        let [dst64, src64, len64] = [dst, src, len].map(|v| self.b.ins().uextend(types::I64, v));
        // No overflow: each operand is below 2^32.
        let dst_end = self.b.ins().iadd(dst64, len64);
        let src_end = self.b.ins().iadd(src64, len64);
        let dst_oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, dst_end, length);
        let src_oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, src_end, length);
        let oob = self.b.ins().bor(dst_oob, src_oob);
        self.b
            .ins()
            .trapnz(oob, TrapCode::MemoryOutOfBounds.to_cranelift());

        let small = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThanOrEqual, len64, 16);
        let small_block = self.b.create_block();
        let big_block = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(small, small_block, &[], big_block, &[]);

        self.b.switch_to_block(big_block);
        self.b.seal_block(big_block);
        self.checked_builtin(
            vm_layout::builtins::MEMORY_COPY,
            &[types::I64, types::I64, types::I32, types::I32, types::I32],
            &[def, def, dst, src, len],
            TrapCode::MemoryOutOfBounds,
        );
        self.b.ins().jump(done, &[]);

        // At most 16 bytes: for the largest power of two `size` with
        // `size <= len` (so `len <= 2 * size`), load the first and the
        // last `size` bytes, then store both: all loads come before the
        // stores, so overlapping ranges copy as `memmove` does.
        self.b.switch_to_block(small_block);
        self.b.seal_block(small_block);
        let base = self.b.ins().load(
            types::I64,
            env::readonly(),
            def,
            vm_layout::memory_def::BASE as i32,
        );
        let s = self.b.ins().iadd(base, src64);
        let d = self.b.ins().iadd(base, dst64);
        let flags = heap_flags();
        for (size, ty) in [
            (8, types::I64),
            (4, types::I32),
            (2, types::I16),
            (1, types::I8),
        ] {
            let this = self.b.create_block();
            let next = self.b.create_block();
            let fits = self
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, len64, size);
            self.b.ins().brif(fits, this, &[], next, &[]);
            self.b.switch_to_block(this);
            self.b.seal_block(this);
            let tail = self.b.ins().iadd_imm_s(len64, -size);
            let s_tail = self.b.ins().iadd(s, tail);
            let d_tail = self.b.ins().iadd(d, tail);
            let head_value = self.b.ins().load(ty, flags, s, 0);
            let tail_value = self.b.ins().load(ty, flags, s_tail, 0);
            self.b.ins().store(flags, head_value, d, 0);
            self.b.ins().store(flags, tail_value, d_tail, 0);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(next);
            self.b.seal_block(next);
        }
        // Zero bytes: nothing to copy.
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
    }

    fn store(&mut self, memarg: &MemArg, size: u32) {
        self.writes_memory(memory_index(memarg));
        let value = self.pop();
        let addr = self.pop();
        let (native, imm) =
            self.env
                .memory_addr(self.b, memory_index(memarg), addr, memarg.offset, size);
        let flags = heap_flags();
        let value_size = self.b.func.dfg.value_type(value).bytes();
        match size {
            1 if value_size > 1 => self.b.ins().istore8(flags, value, native, imm),
            2 if value_size > 2 => self.b.ins().istore16(flags, value, native, imm),
            4 if value_size > 4 => self.b.ins().istore32(flags, value, native, imm),
            _ => self.b.ins().store(flags, value, native, imm),
        };
    }

    /// Jumps to `block` with the top `n` operands as arguments.
    fn jump_with(&mut self, block: ir::Block, n: usize) {
        let args = block_args(self.peekn(n));
        self.b.ins().jump(block, &args);
    }

    fn frame_at_depth(&mut self, depth: u32) -> &mut Frame {
        let i = self.control.len() - 1 - depth as usize;
        &mut self.control[i]
    }

    /// Pushes a frame, creating its continuation block.
    fn push_frame(&mut self, kind: FrameKind, params: usize, results: &[ir::Type]) {
        let dest = self.b.create_block();
        for r in results {
            self.b.append_block_param(dest, *r);
        }
        self.control.push(Frame {
            kind,
            dest,
            num_params: params,
            num_results: results.len(),
            stack_base: self.stack.len() - params,
            dest_reached: false,
        });
    }

    /// Handles `end` once the current branch (if reachable) has jumped to
    /// the frame's destination.
    fn end_frame(&mut self) {
        self.fuel_pending = 0;
        let mut frame = self.control.pop().expect("validated control stack");
        self.stack.truncate(frame.stack_base);
        match frame.kind {
            FrameKind::Loop { header } => self.b.seal_block(header),
            FrameKind::If {
                else_block,
                ref else_params,
                else_seen: false,
            } => {
                // No `else`: the false edge passes the parameters straight
                // through as the results (validation made them equal).
                self.b.switch_to_block(else_block);
                self.b.seal_block(else_block);
                let args = block_args(else_params);
                self.b.ins().jump(frame.dest, &args);
                frame.dest_reached = true;
            }
            FrameKind::If { .. } | FrameKind::Block => {}
        }
        self.b.switch_to_block(frame.dest);
        self.b.seal_block(frame.dest);
        if frame.dest_reached {
            self.stack
                .extend_from_slice(self.b.block_params(frame.dest));
            self.reachable = true;
        } else {
            // Nothing reaches the continuation.
            self.b.ins().trap(TrapCode::Unreachable.to_cranelift());
            self.reachable = false;
        }
        // The end of an inlined body falls through to the caller's code.
        if self.control.is_empty() && self.reachable && self.inlined_from.is_none() {
            let results = self.stack.split_off(0);
            self.emit_return(&results);
            self.reachable = false;
        }
    }

    /// Handles `else` (the `then` branch has already been terminated).
    fn enter_else(&mut self) {
        let frame = self.control.last_mut().expect("validated control stack");
        let FrameKind::If {
            else_block,
            else_params,
            else_seen,
        } = &mut frame.kind
        else {
            unreachable!("validated else");
        };
        *else_seen = true;
        self.fuel_pending = 0;
        let (else_block, params) = (*else_block, std::mem::take(else_params));
        self.stack.truncate(frame.stack_base);
        self.stack.extend(params);
        self.b.switch_to_block(else_block);
        self.b.seal_block(else_block);
        self.reachable = true;
    }

    fn unreachable_operator(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.enter_else(),
            Operator::End if self.unreachable_depth == 0 => self.end_frame(),
            Operator::End => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn operator(&mut self, op: &Operator<'_>) -> Result<()> {
        use Operator as O;
        if self.fuel_var.is_some() {
            self.fuel_pending += fuel_cost(op);
            if ends_fuel_region(op) {
                self.flush_fuel();
            }
        }
        let b = &mut *self.b;
        match *op {
            // Control.
            O::Nop => {}
            O::Unreachable => {
                b.ins().trap(TrapCode::Unreachable.to_cranelift());
                self.reachable = false;
            }
            O::Block { blockty } => {
                let (params, results) = block_arity(self.env.info, blockty);
                self.push_frame(FrameKind::Block, params.len(), &results);
            }
            O::Loop { blockty } => {
                let (params, results) = block_arity(self.env.info, blockty);
                let header = b.create_block();
                for p in &params {
                    b.append_block_param(header, *p);
                }
                self.jump_with(header, params.len());
                self.b.switch_to_block(header);
                self.interrupt_checks();
                let n = self.stack.len() - params.len();
                self.stack.truncate(n);
                self.stack.extend_from_slice(self.b.block_params(header));
                self.push_frame(FrameKind::Loop { header }, params.len(), &results);
            }
            O::If { blockty } => {
                let (params, results) = block_arity(self.env.info, blockty);
                let cond = self.pop();
                let then_block = self.b.create_block();
                let else_block = self.b.create_block();
                self.b.ins().brif(cond, then_block, &[], else_block, &[]);
                self.b.switch_to_block(then_block);
                self.b.seal_block(then_block);
                let else_params = self.peekn(params.len()).to_vec();
                self.push_frame(
                    FrameKind::If {
                        else_block,
                        else_params,
                        else_seen: false,
                    },
                    params.len(),
                    &results,
                );
            }
            O::Else => {
                let frame = self.control.last_mut().expect("validated control stack");
                frame.dest_reached = true;
                let (dest, n) = (frame.dest, frame.num_results);
                self.jump_with(dest, n);
                self.enter_else();
            }
            O::End => {
                let frame = self.control.last_mut().expect("validated control stack");
                frame.dest_reached = true;
                let (dest, n) = (frame.dest, frame.num_results);
                self.jump_with(dest, n);
                self.end_frame();
            }
            O::Br { relative_depth } => {
                let frame = self.frame_at_depth(relative_depth);
                frame.dest_reached = true;
                let (target, n) = frame.branch_target();
                self.jump_with(target, n);
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let frame = self.frame_at_depth(relative_depth);
                frame.dest_reached = true;
                let (target, n) = frame.branch_target();
                let args = block_args(self.peekn(n));
                let next = self.b.create_block();
                self.b.ins().brif(cond, target, &args, next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
            }
            O::BrTable { ref targets } => {
                let index = self.pop();
                let depths: Vec<u32> = targets.targets().collect::<Result<_, _>>()?;
                let default = targets.default();
                let (_, arity) = self.frame_at_depth(default).branch_target();
                // Branch arguments go through one small block per distinct
                // target, since jump-table entries carry no arguments here.
                let mut blocks: Vec<(u32, ir::Block)> = Vec::new();
                let mut block_for = |t: &mut Self, depth: u32| -> ir::Block {
                    let frame = t.frame_at_depth(depth);
                    frame.dest_reached = true;
                    let (target, _) = frame.branch_target();
                    if arity == 0 {
                        return target;
                    }
                    if let Some((_, blk)) = blocks.iter().find(|(d, _)| *d == depth) {
                        return *blk;
                    }
                    let blk = t.b.create_block();
                    blocks.push((depth, blk));
                    blk
                };
                let default_block = block_for(self, default);
                let table_blocks: Vec<ir::Block> =
                    depths.iter().map(|d| block_for(self, *d)).collect();
                let pool = &mut self.b.func.dfg.value_lists;
                let default_call = ir::BlockCall::new(default_block, [], pool);
                let calls: Vec<ir::BlockCall> = table_blocks
                    .iter()
                    .map(|blk| ir::BlockCall::new(*blk, [], pool))
                    .collect();
                let jt = self
                    .b
                    .create_jump_table(JumpTableData::new(default_call, &calls));
                self.b.ins().br_table(index, jt);
                for (depth, blk) in blocks {
                    self.b.switch_to_block(blk);
                    self.b.seal_block(blk);
                    let (target, n) = self.frame_at_depth(depth).branch_target();
                    self.jump_with(target, n);
                }
                self.reachable = false;
            }
            O::Return if self.inlined_from.is_some() => {
                // A branch to the end of the inlined body.
                let frame = &mut self.control[0];
                frame.dest_reached = true;
                let (dest, n) = (frame.dest, frame.num_results);
                self.jump_with(dest, n);
                self.reachable = false;
            }
            O::Return => {
                let n = self.control[0].num_results;
                let results = self.peekn(n).to_vec();
                self.emit_return(&results);
                self.reachable = false;
            }
            O::Call { function_index } => {
                let n = self.env.info.func_type(function_index).params().len();
                let args = self.stack.split_off(self.stack.len() - n);
                if let Some((defined, body)) = self.inline_candidate(function_index) {
                    return self.inline_call(defined, &body, &args);
                }
                self.spill_fuel();
                let results = self.env.call(self.b, function_index, &args);
                self.reload_fuel();
                self.stack.extend(results);
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let index = self.pop();
                let n = self.env.info.types[type_index as usize].params().len();
                let args = self.stack.split_off(self.stack.len() - n);
                self.spill_fuel();
                let results = self
                    .env
                    .call_indirect(self.b, table_index, type_index, index, &args);
                self.reload_fuel();
                self.stack.extend(results);
            }
            O::Drop => {
                self.pop();
            }

            // References and tables.
            O::RefNull { .. } => {
                let v = b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => {
                // The function's `VMFuncRef` is written on first use.
                let index = b.ins().iconst(types::I32, i64::from(function_index));
                let v = self.env.call_builtin(
                    self.b,
                    vm_layout::builtins::REF_FUNC,
                    &[types::I32],
                    &[types::I64],
                    &[index],
                );
                self.push(v[0]);
            }
            O::TableGet { table } => {
                let index = self.pop();
                let addr =
                    self.env
                        .table_elem_addr(self.b, table, index, TrapCode::TableOutOfBounds);
                let v = if self.env.is_funcref_table(table) {
                    self.env.load_func_ref(self.b, table, addr, index)
                } else {
                    self.b
                        .ins()
                        .load(types::I64, MemFlagsData::trusted(), addr, 0)
                };
                self.push(v);
            }
            O::TableSet { table } => {
                let mut value = self.pop();
                let index = self.pop();
                let addr =
                    self.env
                        .table_elem_addr(self.b, table, index, TrapCode::TableOutOfBounds);
                self.env.table_sets[table as usize]
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                if self.env.is_funcref_table(table) {
                    value = self
                        .b
                        .ins()
                        .bor_imm_u(value, vm_layout::FUNCREF_INIT_BIT as i64);
                }
                self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
            }
            O::TableSize { table } => {
                let def = self.env.table_def(b, table);
                let len = self.b.ins().load(
                    types::I64,
                    MemFlagsData::trusted(),
                    def,
                    vm_layout::table_def::LENGTH as i32,
                );
                let v = self.b.ins().ireduce(types::I32, len);
                self.push(v);
            }
            O::TableGrow { table } => {
                let delta = self.pop();
                let init = self.pop();
                let def = self.env.table_def(self.b, table);
                let r = self.env.call_builtin(
                    self.b,
                    vm_layout::builtins::TABLE_GROW,
                    &[types::I64, types::I64, types::I32],
                    &[types::I32],
                    &[def, init, delta],
                );
                self.push(r[0]);
            }
            O::TableFill { table } => {
                let len = self.pop();
                let value = self.pop();
                let dst = self.pop();
                let def = self.env.table_def(self.b, table);
                self.checked_builtin(
                    vm_layout::builtins::TABLE_FILL,
                    &[types::I64, types::I32, types::I64, types::I32],
                    &[def, dst, value, len],
                    TrapCode::TableOutOfBounds,
                );
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let len = self.pop();
                let src = self.pop();
                let dst = self.pop();
                let dst_def = self.env.table_def(self.b, dst_table);
                let src_def = self.env.table_def(self.b, src_table);
                self.checked_builtin(
                    vm_layout::builtins::TABLE_COPY,
                    &[types::I64, types::I64, types::I32, types::I32, types::I32],
                    &[dst_def, src_def, dst, src, len],
                    TrapCode::TableOutOfBounds,
                );
            }
            O::TableInit { elem_index, table } => {
                let len = self.pop();
                let src = self.pop();
                let dst = self.pop();
                let def = self.env.table_def(self.b, table);
                let elem = self.b.ins().iconst(types::I32, i64::from(elem_index));
                self.checked_builtin(
                    vm_layout::builtins::TABLE_INIT,
                    &[types::I64, types::I32, types::I32, types::I32, types::I32],
                    &[def, elem, dst, src, len],
                    TrapCode::TableOutOfBounds,
                );
            }
            O::ElemDrop { elem_index } => {
                let elem = b.ins().iconst(types::I32, i64::from(elem_index));
                self.env.call_builtin(
                    self.b,
                    vm_layout::builtins::ELEM_DROP,
                    &[types::I32],
                    &[],
                    &[elem],
                );
            }

            // Bulk memory.
            O::MemoryFill { mem } => {
                self.writes_memory(mem);
                let len = self.pop();
                let value = self.pop();
                let dst = self.pop();
                let def = self.env.memory_def(self.b, mem);
                self.checked_builtin(
                    vm_layout::builtins::MEMORY_FILL,
                    &[types::I64, types::I32, types::I32, types::I32],
                    &[def, dst, value, len],
                    TrapCode::MemoryOutOfBounds,
                );
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                self.writes_memory(dst_mem);
                let len = self.pop();
                let src = self.pop();
                let dst = self.pop();
                if dst_mem == src_mem && !self.env.info.memories[dst_mem as usize].is_64() {
                    self.memory_copy_within(dst_mem, dst, src, len);
                    return Ok(());
                }
                let dst_def = self.env.memory_def(self.b, dst_mem);
                let src_def = self.env.memory_def(self.b, src_mem);
                self.checked_builtin(
                    vm_layout::builtins::MEMORY_COPY,
                    &[types::I64, types::I64, types::I32, types::I32, types::I32],
                    &[dst_def, src_def, dst, src, len],
                    TrapCode::MemoryOutOfBounds,
                );
            }
            O::MemoryInit { data_index, mem } => {
                self.writes_memory(mem);
                let len = self.pop();
                let src = self.pop();
                let dst = self.pop();
                let def = self.env.memory_def(self.b, mem);
                let data = self.b.ins().iconst(types::I32, i64::from(data_index));
                self.checked_builtin(
                    vm_layout::builtins::MEMORY_INIT,
                    &[types::I64, types::I32, types::I32, types::I32, types::I32],
                    &[def, data, dst, src, len],
                    TrapCode::MemoryOutOfBounds,
                );
            }
            O::DataDrop { data_index } => {
                let data = b.ins().iconst(types::I32, i64::from(data_index));
                self.env.call_builtin(
                    self.b,
                    vm_layout::builtins::DATA_DROP,
                    &[types::I32],
                    &[],
                    &[data],
                );
            }
            O::Select | O::TypedSelect { .. } => {
                let cond = self.pop();
                let (x, y) = self.pop2();
                let v = self.b.ins().select(cond, x, y);
                self.push(v);
            }

            // Locals and globals.
            O::LocalGet { local_index } => {
                let v = b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated operand stack");
                b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => {
                let ty = self.env.info.globals[global_index as usize].ty.content();
                let (base, off) = self.env.global_addr(b, global_index);
                let v = b
                    .ins()
                    .load(ir_type(ty), MemFlagsData::trusted(), base, off);
                self.push(v);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let (base, off) = self.env.global_addr(self.b, global_index);
                self.b.ins().store(MemFlagsData::trusted(), v, base, off);
            }

            // Constants.
            O::I32Const { value } => {
                let v = b.ins().iconst(types::I32, i64::from(value));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = b.ins().iconst(types::I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // Integer arithmetic.
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            O::I32DivS | O::I64DivS => self.binop(|b, x, y| b.ins().sdiv(x, y)),
            O::I32DivU | O::I64DivU => self.binop(|b, x, y| b.ins().udiv(x, y)),
            O::I32RemS | O::I64RemS => self.binop(|b, x, y| b.ins().srem(x, y)),
            O::I32RemU | O::I64RemU => self.binop(|b, x, y| b.ins().urem(x, y)),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),
            O::I32Clz | O::I64Clz => self.unop(|b, x| b.ins().clz(x)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, x| b.ins().ctz(x)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, x| b.ins().popcnt(x)),
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::I32Extend8S => self.sext_in_place(types::I32, types::I8),
            O::I32Extend16S => self.sext_in_place(types::I32, types::I16),
            O::I64Extend8S => self.sext_in_place(types::I64, types::I8),
            O::I64Extend16S => self.sext_in_place(types::I64, types::I16),
            O::I64Extend32S => self.sext_in_place(types::I64, types::I32),
            O::I32WrapI64 => self.unop(|b, x| b.ins().ireduce(types::I32, x)),
            O::I64ExtendI32S => self.unop(|b, x| b.ins().sextend(types::I64, x)),
            O::I64ExtendI32U => self.unop(|b, x| b.ins().uextend(types::I64, x)),

            // Floating point.
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, x| b.ins().sqrt(x)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, x| b.ins().ceil(x)),
            O::F32Floor | O::F64Floor => self.unop(|b, x| b.ins().floor(x)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, x| b.ins().trunc(x)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, x| b.ins().nearest(x)),
            O::F32Abs | O::F64Abs => self.unop(|b, x| b.ins().fabs(x)),
            O::F32Neg | O::F64Neg => self.unop(|b, x| b.ins().fneg(x)),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F32, x))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F32, x))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(types::F64, x))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(types::F64, x))
            }
            O::F32DemoteF64 => self.unop(|b, x| b.ins().fdemote(types::F32, x)),
            O::F64PromoteF32 => self.unop(|b, x| b.ins().fpromote(types::F64, x)),
            O::I32TruncF32S | O::I32TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I32, x))
            }
            O::I32TruncF32U | O::I32TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I32, x))
            }
            O::I64TruncF32S | O::I64TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(types::I64, x))
            }
            O::I64TruncF32U | O::I64TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(types::I64, x))
            }
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I32, x))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I32, x))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(types::I64, x))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(types::I64, x))
            }
            O::I32ReinterpretF32 => {
                self.unop(|b, x| b.ins().bitcast(types::I32, MemFlagsData::new(), x))
            }
            O::I64ReinterpretF64 => {
                self.unop(|b, x| b.ins().bitcast(types::I64, MemFlagsData::new(), x))
            }
            O::F32ReinterpretI32 => {
                self.unop(|b, x| b.ins().bitcast(types::F32, MemFlagsData::new(), x))
            }
            O::F64ReinterpretI64 => {
                self.unop(|b, x| b.ins().bitcast(types::F64, MemFlagsData::new(), x))
            }

            // Memory.
            O::I32Load { ref memarg } => self.load(memarg, types::I32, 4, None),
            O::I64Load { ref memarg } => self.load(memarg, types::I64, 8, None),
            O::F32Load { ref memarg } => self.load(memarg, types::F32, 4, None),
            O::F64Load { ref memarg } => self.load(memarg, types::F64, 8, None),
            O::I32Load8S { ref memarg } => self.load(memarg, types::I32, 1, Some(true)),
            O::I32Load8U { ref memarg } => self.load(memarg, types::I32, 1, Some(false)),
            O::I32Load16S { ref memarg } => self.load(memarg, types::I32, 2, Some(true)),
            O::I32Load16U { ref memarg } => self.load(memarg, types::I32, 2, Some(false)),
            O::I64Load8S { ref memarg } => self.load(memarg, types::I64, 1, Some(true)),
            O::I64Load8U { ref memarg } => self.load(memarg, types::I64, 1, Some(false)),
            O::I64Load16S { ref memarg } => self.load(memarg, types::I64, 2, Some(true)),
            O::I64Load16U { ref memarg } => self.load(memarg, types::I64, 2, Some(false)),
            O::I64Load32S { ref memarg } => self.load(memarg, types::I64, 4, Some(true)),
            O::I64Load32U { ref memarg } => self.load(memarg, types::I64, 4, Some(false)),
            O::I32Store { ref memarg } | O::F32Store { ref memarg } => self.store(memarg, 4),
            O::I64Store { ref memarg } | O::F64Store { ref memarg } => self.store(memarg, 8),
            O::I32Store8 { ref memarg } | O::I64Store8 { ref memarg } => self.store(memarg, 1),
            O::I32Store16 { ref memarg } | O::I64Store16 { ref memarg } => self.store(memarg, 2),
            O::I64Store32 { ref memarg } => self.store(memarg, 4),
            O::MemorySize { mem } => {
                let len = self.env.memory_length(b, mem);
                let pages = b.ins().ushr_imm_u(len, 16);
                let is64 = self.env.info.memories[mem as usize].is_64();
                let v = if is64 {
                    pages
                } else {
                    b.ins().ireduce(types::I32, pages)
                };
                self.push(v);
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop();
                let def = self.env.memory_def(self.b, mem);
                let r = self.env.call_builtin(
                    self.b,
                    vm_layout::builtins::MEMORY_GROW,
                    &[types::I32, types::I64],
                    &[types::I32],
                    &[delta, def],
                );
                self.push(r[0]);
            }

            ref other => bail!("unsupported instruction: {other:?}"),
        }
        Ok(())
    }
}

fn memory_index(memarg: &MemArg) -> u32 {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(i) => i,
        wasmparser::MemArgTarget::Array(_) => unreachable!("GC is not enabled"),
    }
}

/// Flags of a linear-memory access: may trap, and the trap is an
/// out-of-bounds access.
fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(ir::Endianness::Little)
        .with_trap_code(Some(TrapCode::MemoryOutOfBounds.to_cranelift()))
}
