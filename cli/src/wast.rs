//! A runner for WebAssembly script (`.wast`) files, the format of the
//! specification's test suite.
//!
//! [`run_wast`] parses a script with the `wast` crate and executes its
//! directives in order against one [`Store`]. Every directive counts once,
//! as passed or failed; a failure is recorded with its line and a message,
//! and the script goes on. Nothing a directive does may panic the runner:
//! unsupported directives and values (components, threads, `v128`) are
//! failures, and a panic escaping the runtime is caught and recorded too.
//!
//! Imports resolve by `(module, name)` against instances registered with
//! `register` and the built-in `spectest` module.

use anyhow::{Context as _, Result, anyhow, bail};
use kiln_runtime::{
    Engine, Extern, ExternRef, Func, Global, GlobalType, Instance, Memory, MemoryType, Module,
    Mutability, Store, Table, TableType, Trap, TrapCode, Val, ValType,
};
use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{F32, F64, Id, Span};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// One directive that did not do what the script expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WastFailure {
    /// 1-based line of the directive in the script.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for WastFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The outcome of running one script.
#[derive(Clone, Debug, Default)]
pub struct WastReport {
    /// The script's name, as given to [`run_wast`].
    pub filename: String,
    /// Directives that did what the script expected.
    pub passed: usize,
    /// Directives that did not, in script order.
    pub failures: Vec<WastFailure>,
}

impl WastReport {
    /// Number of failed directives.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

/// Runs the script `text` (named `filename` in messages) with a fresh
/// engine.
///
/// # Errors
///
/// The script does not lex or parse as a `.wast` file. Failures of single
/// directives are not errors: they are recorded in the report.
pub fn run_wast(filename: &str, text: &str) -> Result<WastReport> {
    run_wast_with_engine(&Engine::default(), filename, text)
}

/// Like [`run_wast`], compiling with `engine`.
///
/// # Errors
///
/// The script does not lex or parse as a `.wast` file.
pub fn run_wast_with_engine(engine: &Engine, filename: &str, text: &str) -> Result<WastReport> {
    run_wast_with(engine, filename, text, false)
}

/// Like [`run_wast_with_engine`]; with `round_trip`, every module that
/// compiles is serialized and deserialized, and the script runs against
/// the deserialized copy.
///
/// # Errors
///
/// The script does not lex or parse as a `.wast` file.
pub fn run_wast_with(
    engine: &Engine,
    filename: &str,
    text: &str,
    round_trip: bool,
) -> Result<WastReport> {
    let mut lexer = Lexer::new(text);
    // The test suite spells some names with bidirectional-override and
    // other "confusing" characters on purpose.
    lexer.allow_confusing_unicode(true);
    let with_path = |mut e: wast::Error| {
        e.set_path(filename.as_ref());
        e.set_text(text);
        anyhow!("{}", one_line(&e.to_string()))
    };
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(with_path)?;
    let script = parser::parse::<Wast>(&buf).map_err(with_path)?;

    let mut runner = Runner::new(engine);
    runner.round_trip = round_trip;
    let mut report = WastReport {
        filename: filename.to_string(),
        ..WastReport::default()
    };
    for directive in script.directives {
        let line = line_of(text, directive.span());
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.directive(directive)))
            .unwrap_or_else(|payload| {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string payload)".to_string());
                Err(anyhow!("panic: {msg}"))
            });
        match outcome {
            Ok(()) => report.passed += 1,
            Err(e) => report.failures.push(WastFailure {
                line,
                message: one_line(&format!("{e:#}")),
            }),
        }
    }
    Ok(report)
}

/// 1-based line of `span` in `text`.
fn line_of(text: &str, span: Span) -> usize {
    span.linecol_in(text).0 + 1
}

/// Squeezes a possibly multi-line message (such as a `wat` parse error
/// with a source excerpt) into one line: the first line, plus the location
/// of a `--> file:line:col` line if there is one.
pub fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let mut out = lines.next().unwrap_or("").trim_end().to_string();
    if let Some(loc) = lines.find_map(|l| l.trim_start().strip_prefix("--> ")) {
        out.push_str(&format!(" (at {})", loc.trim()));
    }
    out
}

/// The state of a running script.
struct Runner {
    engine: Engine,
    store: Store<()>,
    /// Exports of registered instances (and `spectest`), by module name.
    registered: HashMap<String, HashMap<String, Extern>>,
    /// Instances named with `$id`.
    instances: HashMap<String, Instance>,
    /// Modules defined with `(module definition $id ...)`.
    definitions: HashMap<String, Module>,
    /// The most recently instantiated module.
    current: Option<Instance>,
    /// Run every module through serialization (see [`run_wast_with`]).
    round_trip: bool,
}

impl Runner {
    fn new(engine: &Engine) -> Runner {
        let mut store = Store::new(engine, ());
        let spectest = spectest(&mut store);
        Runner {
            engine: engine.clone(),
            store,
            registered: HashMap::from([("spectest".to_string(), spectest)]),
            instances: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
            round_trip: false,
        }
    }

    /// Compiles `binary`, through a serialization round trip if asked.
    fn compile(&self, binary: &[u8]) -> Result<Module> {
        let module = Module::from_binary(&self.engine, binary)?;
        if !self.round_trip {
            return Ok(module);
        }
        let bytes = module.serialize()?;
        drop(module);
        // SAFETY: the bytes were just made by `serialize` on this engine.
        unsafe { Module::deserialize(&self.engine, &bytes) }.context("deserializing")
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<()> {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name();
                let module = self.compile_quote(&mut module)?;
                let instance = self.instantiate(&module)?;
                self.define(name, instance);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name();
                let compiled = self.compile_quote(&mut module)?;
                if let Some(name) = name {
                    self.definitions.insert(name.name().to_string(), compiled);
                }
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let module = module.context("module instance without a module name")?;
                let compiled = self
                    .definitions
                    .get(module.name())
                    .with_context(|| format!("unknown module definition `{}`", module.name()))?
                    .clone();
                let inst = self.instantiate(&compiled)?;
                self.define(instance, inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                let exports = instance.exports(&mut self.store).into_iter().collect();
                self.registered.insert(name.to_string(), exports);
                Ok(())
            }
            WastDirective::Invoke(invoke) => self.invoke(&invoke).map(drop),
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = self.execute(exec)?;
                check_results(&self.store, &got, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(got) => bail!("expected trap `{message}`, got {}", show_vals(&got)),
                Err(e) => check_trap(&e, message),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(got) => bail!("expected `{message}`, got {}", show_vals(&got)),
                Err(e) => {
                    check_trap(&e, message)?;
                    match e.downcast_ref::<Trap>().map(Trap::code) {
                        Some(TrapCode::StackOverflow) => Ok(()),
                        code => bail!("expected a stack overflow, got {code:?}"),
                    }
                }
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, "invalid", message),
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, "malformed", message),
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                // Any failure to get an instance counts: the suite only
                // uses this for modules whose imports cannot be satisfied.
                let linked = module
                    .encode()
                    .map_err(anyhow::Error::from)
                    .and_then(|binary| self.compile(&binary))
                    .and_then(|compiled| self.instantiate(&compiled));
                match linked {
                    Ok(_) => bail!("expected unlinkable module (`{message}`), but it linked"),
                    Err(_) => Ok(()),
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                bail!("custom-section assertions are not supported")
            }
            WastDirective::AssertException { .. } => bail!("exceptions are not supported"),
            WastDirective::AssertSuspension { .. } => bail!("stack switching is not supported"),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                bail!("threads are not supported")
            }
        }
    }

    /// `assert_invalid` and `assert_malformed`: the module must not compile.
    /// Text the parser already rejects counts as rejected.
    fn expect_rejected(&self, module: &mut QuoteWat<'_>, what: &str, message: &str) -> Result<()> {
        let Ok(binary) = module.encode() else {
            return Ok(());
        };
        match self.compile(&binary) {
            Ok(_) => bail!("expected {what} module (`{message}`), but it compiled"),
            Err(_) => Ok(()),
        }
    }

    /// Records `instance` as the current one, and under `name` if given.
    fn define(&mut self, name: Option<Id<'_>>, instance: Instance) {
        if let Some(name) = name {
            self.instances.insert(name.name().to_string(), instance);
        }
        self.current = Some(instance);
    }

    /// The instance called `name`, or the current one.
    fn instance(&self, name: Option<Id<'_>>) -> Result<Instance> {
        match name {
            Some(name) => self
                .instances
                .get(name.name())
                .copied()
                .with_context(|| format!("unknown instance `{}`", name.name())),
            None => self.current.context("no module instantiated yet"),
        }
    }

    fn compile_quote(&self, module: &mut QuoteWat<'_>) -> Result<Module> {
        if let QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..) = module {
            bail!("components are not supported");
        }
        let binary = module
            .encode()
            .map_err(|e| anyhow!("{}", one_line(&e.to_string())))?;
        self.compile(&binary)
    }

    fn compile_wat(&self, module: &mut Wat<'_>) -> Result<Module> {
        if let Wat::Component(_) = module {
            bail!("components are not supported");
        }
        let binary = module
            .encode()
            .map_err(|e| anyhow!("{}", one_line(&e.to_string())))?;
        self.compile(&binary)
    }

    /// Resolves `module`'s imports against the registered modules and
    /// instantiates it.
    fn instantiate(&mut self, module: &Module) -> Result<Instance> {
        let imports = module
            .imports()
            .map(|import| {
                self.registered
                    .get(import.module())
                    .and_then(|exports| exports.get(import.name()))
                    .copied()
                    .ok_or_else(|| {
                        anyhow!("unknown import: `{}::{}`", import.module(), import.name())
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Instance::new(&mut self.store, module, &imports)
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut wat) => {
                let module = self.compile_wat(&mut wat)?;
                self.instantiate(&module)?;
                Ok(Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let g = instance
                    .get_global(&mut self.store, global)
                    .with_context(|| format!("no global export `{global}`"))?;
                Ok(vec![g.get(&mut self.store)])
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .with_context(|| format!("no function export `{}`", invoke.name))?;
        let args = invoke
            .args
            .iter()
            .map(|a| self.arg(a))
            .collect::<Result<Vec<_>>>()?;
        let mut results = func
            .ty(&self.store)
            .results()
            .iter()
            .map(|&ty| {
                Val::default_for(ty).with_context(|| format!("unsupported result type {ty}"))
            })
            .collect::<Result<Vec<_>>>()?;
        func.call(&mut self.store, &args, &mut results)?;
        Ok(results)
    }

    fn arg(&mut self, arg: &WastArg<'_>) -> Result<Val> {
        let WastArg::Core(arg) = arg else {
            bail!("component values are not supported");
        };
        Ok(match arg {
            WastArgCore::I32(v) => Val::I32(*v),
            WastArgCore::I64(v) => Val::I64(*v),
            WastArgCore::F32(v) => Val::F32(v.bits),
            WastArgCore::F64(v) => Val::F64(v.bits),
            WastArgCore::RefNull(HeapType::Abstract {
                ty: AbstractHeapType::Func,
                shared: false,
            }) => Val::FuncRef(None),
            WastArgCore::RefNull(HeapType::Abstract {
                ty: AbstractHeapType::Extern,
                shared: false,
            }) => Val::ExternRef(None),
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(&mut self.store, *n))),
            other => bail!("unsupported argument {other:?}"),
        })
    }
}

/// The `spectest` module every script may import from.
fn spectest(store: &mut Store<()>) -> HashMap<String, Extern> {
    let mut exports: HashMap<String, Extern> = HashMap::new();
    let mut func = |name: &str, f: Func| {
        exports.insert(name.to_string(), Extern::Func(f));
    };
    func("print", Func::wrap(&mut *store, || {}));
    func("print_i32", Func::wrap(&mut *store, |_: i32| {}));
    func("print_i64", Func::wrap(&mut *store, |_: i64| {}));
    func("print_f32", Func::wrap(&mut *store, |_: f32| {}));
    func("print_f64", Func::wrap(&mut *store, |_: f64| {}));
    func(
        "print_i32_f32",
        Func::wrap(&mut *store, |_: i32, _: f32| {}),
    );
    func(
        "print_f64_f64",
        Func::wrap(&mut *store, |_: f64, _: f64| {}),
    );

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ];
    for (name, value) in globals {
        let ty = GlobalType::new(value.ty(), Mutability::Const);
        // Creating a constant global of a plain number type cannot fail;
        // if it ever does, imports of it fail to link instead.
        if let Ok(g) = Global::new(&mut *store, ty, value) {
            exports.insert(name.to_string(), Extern::Global(g));
        }
    }
    if let Ok(m) = Memory::new(&mut *store, MemoryType::new(1, Some(2))) {
        exports.insert("memory".to_string(), Extern::Memory(m));
    }
    let table = Table::new(
        &mut *store,
        TableType::new(ValType::FuncRef, 10, Some(20)),
        Val::FuncRef(None),
    );
    if let Ok(t) = table {
        exports.insert("table".to_string(), Extern::Table(t));
    }
    exports
}

/// Passes when `error` is a trap whose message matches `expected`: the
/// message contains the expected text, or the expected text extends it
/// (the suite sometimes adds detail, e.g. "unreachable executed").
fn check_trap(error: &anyhow::Error, expected: &str) -> Result<()> {
    match error.downcast_ref::<Trap>() {
        Some(trap) if trap_matches(trap.message(), expected) => Ok(()),
        Some(trap) => bail!("expected trap `{expected}`, got `{}`", trap.message()),
        None => bail!("expected trap `{expected}`, got error: {error:#}"),
    }
}

fn trap_matches(actual: &str, expected: &str) -> bool {
    actual.contains(expected) || expected.starts_with(actual)
}

fn check_results(store: &Store<()>, got: &[Val], expected: &[WastRet<'_>]) -> Result<()> {
    if got.len() != expected.len() {
        bail!(
            "expected {} results, got {}",
            expected.len(),
            show_vals(got)
        );
    }
    for (i, (v, e)) in got.iter().zip(expected).enumerate() {
        let WastRet::Core(e) = e else {
            bail!("component results are not supported");
        };
        if !val_matches(store, v, e)? {
            bail!("result {i}: expected {e:?}, got {}", show_vals(got));
        }
    }
    Ok(())
}

fn val_matches(store: &Store<()>, v: &Val, expected: &WastRetCore<'_>) -> Result<bool> {
    Ok(match (expected, v) {
        (WastRetCore::I32(e), Val::I32(g)) => e == g,
        (WastRetCore::I64(e), Val::I64(g)) => e == g,
        (WastRetCore::F32(e), Val::F32(g)) => f32_matches(e, *g),
        (WastRetCore::F64(e), Val::F64(g)) => f64_matches(e, *g),
        (WastRetCore::RefNull(ty), Val::FuncRef(r)) => {
            r.is_none() && heap_type_is(ty.as_ref(), AbstractHeapType::Func)
        }
        (WastRetCore::RefNull(ty), Val::ExternRef(r)) => {
            r.is_none() && heap_type_is(ty.as_ref(), AbstractHeapType::Extern)
        }
        (WastRetCore::RefExtern(e), Val::ExternRef(Some(r))) => match e {
            None => true,
            Some(n) => r.data(store).downcast_ref::<u32>() == Some(n),
        },
        (WastRetCore::RefFunc(_), Val::FuncRef(f)) => f.is_some(),
        (WastRetCore::Either(cases), _) => {
            for case in cases {
                if val_matches(store, v, case)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::V128(_)
            | WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => bail!("unsupported expected value {expected:?}"),
        _ => false,
    })
}

/// True if `ty` is absent or the abstract heap type `want`.
fn heap_type_is(ty: Option<&HeapType<'_>>, want: AbstractHeapType) -> bool {
    match ty {
        None => true,
        Some(HeapType::Abstract { ty, shared: false }) => {
            std::mem::discriminant(ty) == std::mem::discriminant(&want)
        }
        Some(_) => false,
    }
}

fn f32_matches(expected: &NanPattern<F32>, bits: u32) -> bool {
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

fn f64_matches(expected: &NanPattern<F64>, bits: u64) -> bool {
    match expected {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

fn show_vals(vals: &[Val]) -> String {
    let shown: Vec<String> = vals.iter().map(crate::run::format_val).collect();
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> WastReport {
        run_wast("test.wast", text).expect("script parses")
    }

    #[test]
    fn counts_passes_and_failures_with_lines() {
        let report = run(r#"
            (module
              (func (export "add") (param i32 i32) (result i32)
                local.get 0 local.get 1 i32.add)
              (func (export "div") (param i32 i32) (result i32)
                local.get 0 local.get 1 i32.div_s))
            (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
            (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
            (assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
            (assert_trap (invoke "div" (i32.const 1) (i32.const 1)) "integer divide by zero")
            (assert_return (invoke "missing"))
        "#);
        assert_eq!(report.passed, 3, "{:?}", report.failures);
        let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
        assert_eq!(lines, [8, 10, 11], "{:?}", report.failures);
    }

    #[test]
    fn nan_patterns_and_either() {
        let report = run(r#"
            (module
              (func (export "f32") (param f32) (result f32) local.get 0)
              (func (export "f64") (param f64) (result f64) local.get 0)
              (func (export "i32") (param i32) (result i32) local.get 0))
            (assert_return (invoke "f32" (f32.const nan)) (f32.const nan:canonical))
            (assert_return (invoke "f32" (f32.const nan:0x600000)) (f32.const nan:arithmetic))
            (assert_return (invoke "f32" (f32.const nan:0x200000)) (f32.const nan:arithmetic))
            (assert_return (invoke "f64" (f64.const -nan)) (f64.const nan:canonical))
            (assert_return (invoke "f64" (f64.const -0)) (f64.const 0))
            (assert_return (invoke "i32" (i32.const 2)) (either (i32.const 1) (i32.const 2)))
        "#);
        assert_eq!(report.passed, 5);
        let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
        assert_eq!(lines, [8, 10], "{:?}", report.failures);
    }

    #[test]
    fn module_assertions() {
        let report = run(r#"
            (assert_invalid (module (func (result i32))) "type mismatch")
            (assert_malformed (module quote "(func") "unexpected end")
            (assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
            (assert_unlinkable (module (import "nowhere" "f" (func))) "unknown import")
            (assert_unlinkable (module (import "spectest" "print_i32" (func (param i64))))
              "incompatible import type")
            (assert_trap (module (func unreachable) (start 0)) "unreachable")
            (assert_invalid (module (func)) "should fail")
        "#);
        assert_eq!(report.passed, 6, "{:?}", report.failures);
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].line, 9);
    }

    #[test]
    fn register_spectest_and_named_instances() {
        let report = run(r#"
            (module $a
              (import "spectest" "global_i32" (global i32))
              (import "spectest" "print_i32" (func (param i32)))
              (global (export "g") (mut i32) (i32.const 7))
              (func (export "get") (result i32) global.get 0 i32.const 1 call 0 global.get 1 i32.add))
            (register "a" $a)
            (module $b
              (import "a" "get" (func $get (result i32)))
              (func (export "twice") (result i32) call $get call $get i32.add))
            (assert_return (invoke $a "get") (i32.const 673))
            (assert_return (invoke "twice") (i32.const 1346))
            (assert_return (get $a "g") (i32.const 7))
        "#);
        assert_eq!(report.passed, 6, "{:?}", report.failures);
        assert!(report.failures.is_empty());
    }

    #[test]
    fn exhaustion_is_a_stack_overflow() {
        let report = run(r#"
            (module (func $f (export "f") call $f))
            (assert_exhaustion (invoke "f") "call stack exhausted")
            (assert_exhaustion (invoke "f") "something else")
        "#);
        assert_eq!(report.passed, 2, "{:?}", report.failures);
        assert_eq!(report.failures.len(), 1);
    }

    #[test]
    fn unparsable_script_is_an_error() {
        let err = run_wast("bad.wast", "(module (func)").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("bad.wast"), "{msg}");
    }

    #[test]
    fn trap_message_matching() {
        assert!(trap_matches("unreachable", "unreachable"));
        assert!(trap_matches("unreachable", "unreachable executed"));
        assert!(trap_matches("out of bounds memory access", "out of bounds"));
        assert!(!trap_matches("unreachable", "integer overflow"));
    }
}
