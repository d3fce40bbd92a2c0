//! `kiln run`: instantiate a module with no imports and call one export.
//!
//! Arguments are parsed with the WebAssembly text format's literal syntax
//! (so `-1`, `0xff`, `2.5`, `-inf`, `nan:0x200000` and `0x1p-3` all work),
//! and results are printed in a form that parses back to the same bits.

use anyhow::{Context as _, Result, anyhow, bail};
use kiln_runtime::{Engine, InstancePre, InstancePreCache, Linker, Module, Store, Val, ValType};
use std::path::{Path, PathBuf};
use wast::parser::{self, Parse, ParseBuffer};
use wast::token::{F32, F64};

/// What `kiln run` was asked to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// The `.wat` or `.wasm` file.
    pub file: PathBuf,
    /// The export to call; `_start` (if exported) when absent.
    pub invoke: Option<String>,
    /// Arguments for the called function, as written on the command line.
    pub args: Vec<String>,
    /// `--fuel N`: run with fuel metering and this much fuel.
    pub fuel: Option<u64>,
    /// `--timeout DURATION`: interrupt the guest (epoch-based) after this long.
    pub timeout: Option<std::time::Duration>,
    /// `--repeat N`: instantiate and call N times, each in a fresh store,
    /// through the instance-pre cache (the module compiles once).
    pub repeat: Option<u64>,
    /// `--profile perfmap`: name the compiled code for Linux `perf` in
    /// `/tmp/perf-<pid>.map`.
    pub perfmap: bool,
}

/// Parses a duration such as `10ms`, `2s`, `1.5s` or `500us` (bare numbers
/// are seconds).
fn parse_duration(text: &str) -> Result<std::time::Duration> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ns") {
        (n, 1e-9)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .with_context(|| format!("invalid duration `{text}` (try `2s` or `100ms`)"))?;
    Ok(std::time::Duration::from_secs_f64(value * scale))
}

impl RunArgs {
    /// Parses the arguments after `run`: `FILE [--invoke NAME] [ARGS...]`,
    /// with `--invoke NAME` (or `--invoke=NAME`) also accepted before FILE.
    /// After FILE, once the first function argument is seen, everything is
    /// a function argument, so `-1` needs no escaping; `--` ends options
    /// explicitly.
    ///
    /// # Errors
    ///
    /// An unknown option, a missing FILE, or `--invoke` without a name.
    pub fn parse(args: &[String]) -> Result<RunArgs> {
        let mut file = None;
        let mut invoke = None;
        let mut fuel = None;
        let mut timeout = None;
        let mut repeat = None;
        let mut perfmap = false;
        let mut rest = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if !rest.is_empty() {
                rest.push(arg.clone());
            } else if arg == "--" {
                rest.extend(iter.by_ref().cloned());
            } else if let Some(name) = option_value("--invoke", "a function name", arg, &mut iter)?
            {
                invoke = Some(name.to_string());
            } else if let Some(value) = option_value("--fuel", "an amount", arg, &mut iter)? {
                fuel = Some(
                    value
                        .parse()
                        .with_context(|| format!("invalid fuel amount `{value}`"))?,
                );
            } else if let Some(value) = option_value("--timeout", "a duration", arg, &mut iter)? {
                timeout = Some(parse_duration(value)?);
            } else if let Some(value) = option_value("--repeat", "a count", arg, &mut iter)? {
                repeat = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .with_context(|| format!("invalid repeat count `{value}`"))?,
                );
            } else if let Some(value) = option_value("--profile", "a profiler", arg, &mut iter)? {
                anyhow::ensure!(
                    value == "perfmap",
                    "unknown profiler `{value}` (the one there is: `perfmap`)"
                );
                perfmap = true;
            } else if file.is_none() {
                if arg.starts_with('-') && arg.len() > 1 {
                    bail!("unknown option `{arg}` for `kiln run`");
                }
                file = Some(PathBuf::from(arg));
            } else {
                rest.push(arg.clone());
            }
        }
        let file = file.context("`kiln run` needs a FILE (.wat or .wasm)")?;
        Ok(RunArgs {
            file,
            invoke,
            args: rest,
            fuel,
            timeout,
            repeat,
            perfmap,
        })
    }
}

/// The value of option `name` if `arg` is that option: `--name=VALUE`, or
/// `--name VALUE` (taking the next argument, which must exist).
fn option_value<'a>(
    name: &str,
    what: &str,
    arg: &'a str,
    next: &mut impl Iterator<Item = &'a String>,
) -> Result<Option<&'a str>> {
    if arg == name {
        let value = next
            .next()
            .with_context(|| format!("`{name}` needs {what}"))?;
        return Ok(Some(value));
    }
    Ok(arg
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('=')))
}

/// A thread that increments the engine's epoch once `timeout` has passed,
/// interrupting the guest; stopped when dropped.
struct EpochTimer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTimer {
    fn start(engine: &Engine, timeout: std::time::Duration) -> EpochTimer {
        let engine = engine.clone();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(timeout) {
                engine.increment_epoch();
            }
        });
        EpochTimer {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTimer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a `.wat` or `.wasm` file as a binary module, or a precompiled
/// (`kiln compile`) module as it is; text errors name the file.
///
/// # Errors
///
/// The file cannot be read, or its text does not parse.
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    if bytes.starts_with(b"\0asm") || kiln_runtime::is_serialized(&bytes) {
        return Ok(bytes);
    }
    Ok(wat::parse_bytes(&bytes)
        .map_err(|mut e| {
            e.set_path(path);
            anyhow!("{}", crate::wast::one_line(&e.to_string()))
        })?
        .into_owned())
}

/// Compiles a binary read from `path`, or loads `path` (mapped) if it is
/// precompiled; errors name the file.
fn compile(engine: &Engine, path: &Path, binary: &[u8]) -> Result<Module> {
    if kiln_runtime::is_serialized(binary) {
        // SAFETY: `kiln run` runs a precompiled file as machine code: the
        // user who passes one vouches that it came from `kiln compile`
        // (Kiln has no opt-in flag; damaged or mismatched files are still
        // rejected by the format's checks), and that it does not change
        // while this process runs.
        return unsafe { Module::deserialize_file(engine, path) }
            .with_context(|| format!("failed to load `{}`", path.display()));
    }
    Module::from_binary(engine, binary)
        .with_context(|| format!("failed to compile `{}`", path.display()))
}

/// What `kiln compile` is asked to do.
#[derive(Debug, PartialEq)]
pub struct CompileArgs {
    /// The module to compile (`.wat` or `.wasm`).
    pub file: PathBuf,
    /// Where to write the precompiled module.
    pub output: PathBuf,
    /// Compile with fuel metering (for `kiln run --fuel`).
    pub fuel: bool,
    /// Compile with epoch checks (for `kiln run --timeout`).
    pub epoch: bool,
    /// The target triple to compile for (`None`: this machine).
    pub target: Option<String>,
}

impl CompileArgs {
    /// Parses `kiln compile`'s arguments: `[--fuel] [--timeout] [--target
    /// TRIPLE] FILE [-o OUTPUT]` (default output: FILE with the extension
    /// `.cwasm`).
    ///
    /// # Errors
    ///
    /// An unknown option, a missing or extra FILE, or `-o` or `--target`
    /// without a value.
    pub fn parse(args: &[String]) -> Result<CompileArgs> {
        let (mut file, mut output, mut fuel, mut epoch) = (None, None, false, false);
        let mut target = None;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--fuel" => fuel = true,
                "--timeout" => epoch = true,
                "-o" | "--output" => {
                    i += 1;
                    let value = args.get(i).context("`-o` needs a file name")?;
                    output = Some(PathBuf::from(value));
                }
                "--target" => {
                    i += 1;
                    let value = args.get(i).context("`--target` needs a target triple")?;
                    target = Some(value.clone());
                }
                opt if opt.starts_with('-') && opt != "-" => {
                    bail!("unknown option `{opt}` for `kiln compile`")
                }
                path => {
                    if file.replace(PathBuf::from(path)).is_some() {
                        bail!("`kiln compile` takes one FILE");
                    }
                }
            }
            i += 1;
        }
        let file: PathBuf = file.context("`kiln compile` needs a FILE")?;
        let output = output.unwrap_or_else(|| file.with_extension("cwasm"));
        Ok(CompileArgs {
            file,
            output,
            fuel,
            epoch,
            target,
        })
    }
}

/// The engine configuration `kiln run` uses with these options; `kiln
/// compile` must compile with the same one for `kiln run` to load it.
fn run_config(fuel: bool, epoch: bool) -> kiln_runtime::Config {
    let mut config = kiln_runtime::Config::new();
    config.consume_fuel(fuel);
    config.epoch_interruption(epoch);
    config
}

/// Runs `kiln compile`: compiles the module (for `args.target`, or this
/// machine) and writes its precompiled form; returns its size in bytes.
///
/// # Errors
///
/// An invalid or unsupported target, the input cannot be read or
/// compiled, or the output cannot be written.
pub fn compile_file(args: &CompileArgs) -> Result<usize> {
    let mut config = run_config(args.fuel, args.epoch);
    if let Some(target) = &args.target {
        config.target(target)?;
    }
    let engine = Engine::new(&config)?;
    let binary = read_module(&args.file)?;
    anyhow::ensure!(
        !kiln_runtime::is_serialized(&binary),
        "`{}` is already precompiled",
        args.file.display()
    );
    let bytes = compile(&engine, &args.file, &binary)?.serialize()?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("failed to write `{}`", args.output.display()))?;
    Ok(bytes.len())
}

/// Runs `args`: instantiates the module and calls the requested export,
/// returning its results (none if nothing was called). With `--repeat N`,
/// does so N times in fresh stores, instantiating from the instance-pre
/// cache, and returns the last results.
///
/// # Errors
///
/// Anything that goes wrong; a trap is an error that downcasts to
/// [`kiln_runtime::Trap`].
pub fn run(args: &RunArgs) -> Result<Vec<Val>> {
    let mut config = run_config(args.fuel.is_some(), args.timeout.is_some());
    if args.perfmap {
        config.profiler(kiln_runtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config)?;
    let binary = read_module(&args.file)?;
    let cache = InstancePreCache::new(Linker::new(&engine), 1, usize::MAX);
    let mut results = Vec::new();
    for _ in 0..args.repeat.unwrap_or(1) {
        let pre = cache.get_or_compile_with(&binary, || compile(&engine, &args.file, &binary))?;
        results = run_once(args, &engine, &pre)?;
    }
    Ok(results)
}

/// One instantiation of `pre` in a fresh store and one call.
fn run_once(args: &RunArgs, engine: &Engine, pre: &InstancePre<()>) -> Result<Vec<Val>> {
    let mut store = Store::new(engine, ());
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel)?;
    }
    let _timer = args.timeout.map(|timeout| {
        store.set_epoch_deadline(1);
        EpochTimer::start(engine, timeout)
    });
    let instance = pre.instantiate(&mut store)?;
    let name = match &args.invoke {
        Some(name) => name.as_str(),
        None if instance.get_func(&mut store, "_start").is_some() => "_start",
        None if args.args.is_empty() => return Ok(Vec::new()),
        None => bail!("arguments given, but no `--invoke` and no `_start` export"),
    };
    let func = instance
        .get_func(&mut store, name)
        .with_context(|| format!("no exported function `{name}`"))?;
    let ty = func.ty(&store);
    if ty.params().len() != args.args.len() {
        bail!(
            "`{name}` expects {} argument(s) but {} were given; its type is {ty}",
            ty.params().len(),
            args.args.len()
        );
    }
    let params = ty
        .params()
        .iter()
        .zip(&args.args)
        .map(|(&ty, text)| parse_arg(ty, text))
        .collect::<Result<Vec<_>>>()?;
    let mut results = ty
        .results()
        .iter()
        .map(|&ty| Val::default_for(ty).with_context(|| format!("unsupported result type {ty}")))
        .collect::<Result<Vec<_>>>()?;
    func.call(&mut store, &params, &mut results)?;
    Ok(results)
}

/// Parses one literal of the text format, requiring the whole string to
/// be consumed.
fn parse_literal<T: for<'a> Parse<'a>>(text: &str) -> Option<T> {
    let buf = ParseBuffer::new(text).ok()?;
    parser::parse::<T>(&buf).ok()
}

/// Parses a command-line argument as a value of type `ty`, with the text
/// format's literal syntax. `i32` accepts `-2147483648..=4294967295`, and
/// `i64` likewise.
///
/// # Errors
///
/// The text is not a literal of that type, or the type cannot be given on
/// a command line.
pub fn parse_arg(ty: ValType, text: &str) -> Result<Val> {
    let val = match ty {
        ValType::I32 => parse_literal::<i32>(text).map(Val::I32),
        ValType::I64 => parse_literal::<i64>(text).map(Val::I64),
        ValType::F32 => parse_literal::<F32>(text).map(|f| Val::F32(f.bits)),
        ValType::F64 => parse_literal::<F64>(text).map(|f| Val::F64(f.bits)),
        _ => bail!("cannot pass a {ty} argument on the command line"),
    };
    val.with_context(|| format!("invalid {ty} argument `{text}`"))
}

/// Formats a value so that [`parse_arg`] reads back the same bits:
/// integers in signed decimal, floats in shortest round-trip form with
/// `-0`, `inf`, `-inf`, `nan` (canonical), `-nan`, and `nan:0x...` for
/// other payloads.
pub fn format_val(val: &Val) -> String {
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => {
            let f = f32::from_bits(*bits);
            if f.is_nan() {
                format_nan(bits >> 31 != 0, u64::from(bits & 0x7f_ffff), 1 << 22)
            } else {
                f.to_string()
            }
        }
        Val::F64(bits) => {
            let f = f64::from_bits(*bits);
            if f.is_nan() {
                format_nan(bits >> 63 != 0, bits & 0xf_ffff_ffff_ffff, 1 << 51)
            } else {
                f.to_string()
            }
        }
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "funcref".to_string(),
        Val::ExternRef(Some(_)) => "externref".to_string(),
    }
}

fn format_nan(negative: bool, payload: u64, canonical: u64) -> String {
    let sign = if negative { "-" } else { "" };
    if payload == canonical {
        format!("{sign}nan")
    } else {
        format!("{sign}nan:{payload:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_run_arguments() {
        let a = RunArgs::parse(&args(&["f.wat", "--invoke", "add", "-1", "--invoke"])).unwrap();
        assert_eq!(a.file, PathBuf::from("f.wat"));
        assert_eq!(a.invoke.as_deref(), Some("add"));
        assert_eq!(a.args, args(&["-1", "--invoke"]));

        let a = RunArgs::parse(&args(&["--invoke=f", "x.wasm", "--", "--1"])).unwrap();
        assert_eq!(a.invoke.as_deref(), Some("f"));
        assert_eq!(a.args, args(&["--1"]));

        assert!(RunArgs::parse(&args(&[])).is_err());
        assert!(RunArgs::parse(&args(&["--bogus", "f.wat"])).is_err());
        let a = RunArgs::parse(&args(&["--profile", "perfmap", "f.wat"])).unwrap();
        assert!(a.perfmap);
        assert!(!RunArgs::parse(&args(&["f.wat"])).unwrap().perfmap);
        assert!(RunArgs::parse(&args(&["--profile=jitdump", "f.wat"])).is_err());
        assert!(RunArgs::parse(&args(&["f.wat", "--invoke"])).is_err());
    }

    #[test]
    fn integer_arguments() {
        let i32_of = |s| parse_arg(ValType::I32, s).ok().and_then(|v| v.i32());
        assert_eq!(i32_of("-1"), Some(-1));
        assert_eq!(i32_of("-0"), Some(0));
        assert_eq!(i32_of("-2147483648"), Some(i32::MIN));
        assert_eq!(i32_of("4294967295"), Some(-1));
        assert_eq!(i32_of("0xff"), Some(255));
        assert_eq!(i32_of("4294967296"), None);
        assert_eq!(i32_of("-2147483649"), None);
        assert_eq!(i32_of("1 2"), None);
        assert_eq!(i32_of("2.5"), None);
        let i64_of = |s| parse_arg(ValType::I64, s).ok().and_then(|v| v.i64());
        assert_eq!(i64_of("18446744073709551615"), Some(-1));
        assert_eq!(i64_of("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(i64_of("18446744073709551616"), None);
    }

    #[test]
    fn float_arguments() {
        let f32_bits = |s| match parse_arg(ValType::F32, s) {
            Ok(Val::F32(b)) => Some(b),
            _ => None,
        };
        assert_eq!(f32_bits("2.5"), Some(2.5f32.to_bits()));
        assert_eq!(f32_bits("-0"), Some((-0.0f32).to_bits()));
        assert_eq!(f32_bits("inf"), Some(f32::INFINITY.to_bits()));
        assert_eq!(f32_bits("-inf"), Some(f32::NEG_INFINITY.to_bits()));
        assert_eq!(f32_bits("nan"), Some(0x7fc0_0000));
        assert_eq!(f32_bits("-nan"), Some(0xffc0_0000));
        assert_eq!(f32_bits("nan:0x200000"), Some(0x7fa0_0000));
        assert_eq!(f32_bits("0x1p-3"), Some(0.125f32.to_bits()));
        assert_eq!(f32_bits("7"), Some(7.0f32.to_bits()));
        assert_eq!(f32_bits("seven"), None);
        let f64_bits = |s| match parse_arg(ValType::F64, s) {
            Ok(Val::F64(b)) => Some(b),
            _ => None,
        };
        assert_eq!(f64_bits("0.1"), Some(0.1f64.to_bits()));
        assert_eq!(f64_bits("nan:0x1"), Some(0x7ff0_0000_0000_0001));
    }

    #[test]
    fn formats_values() {
        assert_eq!(format_val(&Val::I32(-5)), "-5");
        assert_eq!(format_val(&Val::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(format_val(&Val::from(2.5f32)), "2.5");
        assert_eq!(format_val(&Val::from(-0.0f64)), "-0");
        assert_eq!(format_val(&Val::from(f32::NEG_INFINITY)), "-inf");
        assert_eq!(format_val(&Val::F32(0x7fc0_0000)), "nan");
        assert_eq!(format_val(&Val::F32(0xffc0_0000)), "-nan");
        assert_eq!(format_val(&Val::F32(0x7fa0_0000)), "nan:0x200000");
        assert_eq!(format_val(&Val::F64(0xfff0_0000_0000_0001)), "-nan:0x1");
        assert_eq!(format_val(&Val::F64(0x7ff8_0000_0000_0000)), "nan");
    }

    #[test]
    fn formatted_values_read_back() {
        let f32s = [
            0.1f32.to_bits(),
            1e30f32.to_bits(),
            f32::MIN_POSITIVE.to_bits(),
            1,
            (-0.0f32).to_bits(),
            0x7fc0_0000,
            0xff80_0001,
            0x7fbf_ffff,
            f32::MAX.to_bits(),
        ];
        for bits in f32s {
            let text = format_val(&Val::F32(bits));
            assert!(
                matches!(parse_arg(ValType::F32, &text), Ok(Val::F32(b)) if b == bits),
                "{text}"
            );
        }
        let f64s = [
            0.1f64.to_bits(),
            1e300f64.to_bits(),
            5e-324f64.to_bits(),
            f64::MAX.to_bits(),
            0x7ff4_0000_0000_0000,
            0xfff8_0000_0000_0000,
        ];
        for bits in f64s {
            let text = format_val(&Val::F64(bits));
            assert!(
                matches!(parse_arg(ValType::F64, &text), Ok(Val::F64(b)) if b == bits),
                "{text}"
            );
        }
        for v in [0, 1, -1, i32::MIN, i32::MAX] {
            let text = format_val(&Val::I32(v));
            assert_eq!(parse_arg(ValType::I32, &text).unwrap().i32(), Some(v));
        }
    }
}
