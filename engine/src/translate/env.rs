//! `FuncEnv`: every question the translator asks about the environment of a
//! function — where a global or memory lives in the VMContext, how to call
//! another function, how to reach a libcall — answered in one place so the
//! opcode match stays about opcodes.

use crate::module_info::ModuleInfo;
use crate::types::{FuncType, ValType};
use crate::vm_layout::{self, VMOffsets, memory_def};
use cranelift_codegen::ir::{
    self, AbiParam, ArgumentPurpose, InstBuilder, MemFlagsData, Signature, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;

/// How linear-memory accesses are bounds-checked.
#[derive(Clone, Copy, Debug)]
pub struct MemoryStrategy {
    /// Bytes of address space reserved for a 32-bit memory (excluding guard).
    pub reservation: u64,
    /// Bytes of inaccessible guard after the reservation.
    pub guard_size: u64,
}

/// The Cranelift type of a wasm value.
pub fn ir_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef => types::I64,
    }
}

/// The signature of a wasm function: callee vmctx, caller vmctx, then the
/// wasm parameters; the tail calling convention, which returns any number
/// of values.
pub fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(ir_type(*t))));
    sig.returns
        .extend(ty.results().iter().map(|t| AbiParam::new(ir_type(*t))));
    sig
}

/// The signature of the array-call entry trampoline:
/// `(callee: *const u8, vmctx: *mut u8, caller_vmctx: *mut u8, values: *mut ValRaw)`.
pub fn array_trampoline_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(types::I64); 4]);
    sig
}

/// The signature of a host function's array entry point:
/// `(callee_vmctx, caller_vmctx, values: *mut ValRaw, len: usize)`.
pub fn host_array_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(types::I64); 4]);
    sig
}

/// Flags for loads of VMContext fields that never change once the instance
/// is built.
pub fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// The environment of the function being translated.
#[derive(Clone)]
pub struct FuncEnv<'m> {
    pub info: &'m ModuleInfo,
    pub offsets: &'m VMOffsets,
    pub memory: MemoryStrategy,
    /// The host calling convention, for libcalls.
    pub host_call_conv: CallConv,
    /// The `vmctx` parameter of the function.
    pub vmctx: Value,
    /// Emit fuel accounting.
    pub fuel: bool,
    /// Emit epoch checks.
    pub epoch: bool,
    /// Set for each table the function writes with an inline store.
    pub table_sets: &'m [std::sync::atomic::AtomicBool],
    /// The functions calls to which may be inlined; none if inlining is
    /// off.
    pub inliner: Option<&'m super::Inliner<'m>>,
}

impl FuncEnv<'_> {
    /// Address of global `index`'s storage.
    pub fn global_addr(&self, b: &mut FunctionBuilder<'_>, index: u32) -> (Value, i32) {
        let info = self.info;
        if index < info.num_imported_globals {
            let off = self.offsets.imported_global(index) as i32;
            let ptr = b.ins().load(types::I64, readonly(), self.vmctx, off);
            (ptr, 0)
        } else {
            let off = self
                .offsets
                .defined_global(index - info.num_imported_globals);
            (self.vmctx, off as i32)
        }
    }

    /// Address of memory `index`'s `VMMemoryDefinition`.
    pub fn memory_def(&self, b: &mut FunctionBuilder<'_>, index: u32) -> Value {
        let off = self.offsets.memory(index) as i32;
        b.ins().load(types::I64, readonly(), self.vmctx, off)
    }

    /// Address of table `index`'s `VMTableDefinition`.
    pub fn table_def(&self, b: &mut FunctionBuilder<'_>, index: u32) -> Value {
        let off = self.offsets.table(index) as i32;
        b.ins().load(types::I64, readonly(), self.vmctx, off)
    }

    /// The address of element `index` of table `table`, trapping with
    /// `code` when it is out of bounds.
    pub fn table_elem_addr(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: Value,
        code: crate::TrapCode,
    ) -> Value {
        let def = self.table_def(b, table);
        let len = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            def,
            vm_layout::table_def::LENGTH as i32,
        );
        let index = b.ins().uextend(types::I64, index);
        let oob = b
            .ins()
            .icmp(ir::condcodes::IntCC::UnsignedGreaterThanOrEqual, index, len);
        b.ins().trapnz(oob, code.to_cranelift());
        let base = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            def,
            vm_layout::table_def::BASE as i32,
        );
        let offset = b.ins().ishl_imm_u(index, 3);
        b.ins().iadd(base, offset)
    }

    /// True if table `table` holds `funcref`s, stored encoded (see
    /// `vm_layout::FUNCREF_INIT_BIT`).
    pub fn is_funcref_table(&self, table: u32) -> bool {
        self.info.tables[table as usize].element() == ValType::FuncRef
    }

    /// Reads the element at `addr` (element `index`) of `funcref` table
    /// `table`: the `VMFuncRef` pointer, or 0 for null. An element not
    /// initialized yet is materialized by a libcall, off the hot path.
    pub fn load_func_ref(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        addr: Value,
        index: Value,
    ) -> Value {
        let raw = b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
        let lazy = b.create_block();
        let done = b.create_block();
        b.append_block_param(done, types::I64);
        b.ins()
            .brif(raw, done, &[ir::BlockArg::Value(raw)], lazy, &[]);
        b.set_cold_block(lazy);
        b.switch_to_block(lazy);
        b.seal_block(lazy);
        let def = self.table_def(b, table);
        let init = self.call_builtin(
            b,
            vm_layout::builtins::TABLE_LAZY_INIT,
            &[types::I64, types::I32],
            &[types::I64],
            &[def, index],
        );
        b.ins().jump(done, &[ir::BlockArg::Value(init[0])]);
        b.switch_to_block(done);
        b.seal_block(done);
        let encoded = b.block_params(done)[0];
        b.ins()
            .band_imm_s(encoded, !(vm_layout::FUNCREF_INIT_BIT as i64))
    }

    /// `call_indirect`: checks the element and its type, then calls it.
    pub fn call_indirect(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        type_index: u32,
        index: Value,
        args: &[Value],
    ) -> Vec<Value> {
        let addr = self.table_elem_addr(b, table, index, crate::TrapCode::UndefinedElement);
        let func_ref = self.load_func_ref(b, table, addr, index);
        b.ins().trapz(
            func_ref,
            crate::TrapCode::UninitializedElement.to_cranelift(),
        );
        let actual = b.ins().load(
            types::I32,
            MemFlagsData::trusted(),
            func_ref,
            vm_layout::func_ref::TYPE_ID as i32,
        );
        let type_ids = b.ins().load(
            types::I64,
            readonly(),
            self.vmctx,
            VMOffsets::TYPE_IDS as i32,
        );
        let expected = b
            .ins()
            .load(types::I32, readonly(), type_ids, (type_index * 4) as i32);
        let mismatch = b
            .ins()
            .icmp(ir::condcodes::IntCC::NotEqual, actual, expected);
        b.ins().trapnz(
            mismatch,
            crate::TrapCode::IndirectCallTypeMismatch.to_cranelift(),
        );
        let code = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            func_ref,
            vm_layout::func_ref::WASM_CALL as i32,
        );
        let callee_vmctx = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            func_ref,
            vm_layout::func_ref::VMCTX as i32,
        );
        let mut all = Vec::with_capacity(args.len() + 2);
        all.push(callee_vmctx);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let sig = b.import_signature(wasm_signature(&self.info.types[type_index as usize]));
        let call = b.ins().call_indirect(sig, code, &all);
        b.inst_results(call).to_vec()
    }

    /// The current length of memory `index` in bytes.
    pub fn memory_length(&self, b: &mut FunctionBuilder<'_>, index: u32) -> Value {
        let def = self.memory_def(b, index);
        b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            def,
            memory_def::LENGTH as i32,
        )
    }

    /// Computes the native address of a `access_size`-byte access at wasm
    /// address `addr` + `offset` in memory `index`, emitting an explicit
    /// bounds check when the guard region cannot catch it. Returns the
    /// address and the immediate offset to use.
    pub fn memory_addr(
        &self,
        b: &mut FunctionBuilder<'_>,
        index: u32,
        addr: Value,
        offset: u64,
        access_size: u32,
    ) -> (Value, i32) {
        let def = self.memory_def(b, index);
        // The base of a memory never moves: memories reserve their maximum
        // address space up front.
        let base = b
            .ins()
            .load(types::I64, readonly(), def, memory_def::BASE as i32);
        let is64 = self.info.memories[index as usize].is_64();
        let index_val = if is64 {
            addr
        } else {
            // Zero-extended, never sign-extended.
            b.ins().uextend(types::I64, addr)
        };
        let end = offset + u64::from(access_size);
        let covered = !is64 && self.memory.reservation >= 1 << 32 && end <= self.memory.guard_size;
        if !covered {
            let length = b.ins().load(
                types::I64,
                MemFlagsData::trusted(),
                def,
                memory_def::LENGTH as i32,
            );
            let oob = if is64 {
                // index + end may overflow 64 bits: check with overflow.
                let end_c = b.ins().iconst(types::I64, end as i64);
                let (sum, overflow) = b.ins().uadd_overflow(index_val, end_c);
                let past = b
                    .ins()
                    .icmp(ir::condcodes::IntCC::UnsignedGreaterThan, sum, length);
                b.ins().bor(past, overflow)
            } else {
                let sum = b.ins().iadd_imm_u(index_val, end as i64);
                b.ins()
                    .icmp(ir::condcodes::IntCC::UnsignedGreaterThan, sum, length)
            };
            b.ins()
                .trapnz(oob, crate::TrapCode::MemoryOutOfBounds.to_cranelift());
        }
        let mut native = b.ins().iadd(base, index_val);
        let imm = match i32::try_from(offset) {
            Ok(imm) => imm,
            Err(_) => {
                native = b.ins().iadd_imm_u(native, offset as i64);
                0
            }
        };
        (native, imm)
    }

    /// Calls libcall `which` with `args`, returning its results.
    pub fn call_builtin(
        &self,
        b: &mut FunctionBuilder<'_>,
        which: u32,
        params: &[ir::Type],
        returns: &[ir::Type],
        args: &[Value],
    ) -> Vec<Value> {
        let mut sig = Signature::new(self.host_call_conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        sig.returns
            .extend(returns.iter().map(|t| AbiParam::new(*t)));
        let sig = b.import_signature(sig);
        let table = b.ins().load(
            types::I64,
            readonly(),
            self.vmctx,
            VMOffsets::BUILTINS as i32,
        );
        let fptr = b
            .ins()
            .load(types::I64, readonly(), table, (which * 8) as i32);
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = b.ins().call_indirect(sig, fptr, &all);
        b.inst_results(call).to_vec()
    }

    /// Emits a call to function `index` with wasm arguments `args`.
    pub fn call(&self, b: &mut FunctionBuilder<'_>, index: u32, args: &[Value]) -> Vec<Value> {
        let ty = self.info.func_type(index);
        let mut all = Vec::with_capacity(args.len() + 2);
        if self.info.is_imported_func(index) {
            let off = self.offsets.imported_func(index) as i32;
            let code = b.ins().load(
                types::I64,
                readonly(),
                self.vmctx,
                off + vm_layout::func_import::WASM_CALL as i32,
            );
            let callee_vmctx = b.ins().load(
                types::I64,
                readonly(),
                self.vmctx,
                off + vm_layout::func_import::VMCTX as i32,
            );
            all.push(callee_vmctx);
            all.push(self.vmctx);
            all.extend_from_slice(args);
            let sig = b.import_signature(wasm_signature(ty));
            let call = b.ins().call_indirect(sig, code, &all);
            b.inst_results(call).to_vec()
        } else {
            let sig = b.import_signature(wasm_signature(ty));
            let name = b
                .func
                .declare_imported_user_function(ir::UserExternalName::new(0, index));
            let callee = b.import_function(ir::ExtFuncData {
                name: ir::ExternalName::user(name),
                signature: sig,
                colocated: true,
                patchable: false,
            });
            all.push(self.vmctx);
            all.push(self.vmctx);
            all.extend_from_slice(args);
            let call = b.ins().call(callee, &all);
            b.inst_results(call).to_vec()
        }
    }
}
