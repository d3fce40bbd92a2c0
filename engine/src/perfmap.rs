//! The `perf` map file (`ProfilingStrategy::PerfMap`): one line per
//! function, `START SIZE NAME` in hex, appended to `/tmp/perf-<pid>.map`
//! when a module's code is loaded, so `perf report` names JIT code.
//!
//! Each module's lines go out in one `write` on a file opened for
//! appending, so modules loaded on several threads never interleave
//! within a line. Entries are never removed: `perf` takes the last entry
//! covering an address, and a later module's code at the same address
//! comes later in the file.

use crate::module_info::ModuleInfo;
use crate::{CodeImage, Engine, ProfilingStrategy};
use std::fmt::Write as _;
use std::io::Write as _;

/// Appends `code`'s functions and trampolines to the map file if the
/// engine profiles with a perf map. A failure to write is reported on
/// stderr once per module and otherwise ignored: profiling is a
/// diagnostic, never a reason for loading to fail.
pub(crate) fn register(engine: &Engine, info: &ModuleInfo, code: &CodeImage) {
    if engine.config().profiler != ProfilingStrategy::PerfMap || !engine.is_native() {
        return;
    }
    let text = lines(info, code);
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!("kiln: cannot write the perf map {path}: {e}");
    }
}

/// The map's lines for one module.
fn lines(info: &ModuleInfo, code: &CodeImage) -> String {
    let module = info.name.as_deref().unwrap_or("");
    let mut text = String::new();
    let mut line = |range: std::ops::Range<usize>, name: std::fmt::Arguments<'_>| {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{:x} {:x} {name}", range.start, range.len());
    };
    for (defined, range) in code.func_ranges().enumerate() {
        let index = info.num_imported_funcs + defined as u32;
        match info.func_names.get(index) {
            Some(name) => line(
                range,
                format_args!("wasm[{module}]::function[{index}]::{name}"),
            ),
            None => line(range, format_args!("wasm[{module}]::function[{index}]")),
        }
    }
    for (ty, range) in code.array_trampoline_ranges().enumerate() {
        line(
            range,
            format_args!("wasm[{module}]::array_to_wasm_trampoline[{ty}]"),
        );
    }
    for (ty, range) in code.host_trampoline_ranges().enumerate() {
        line(
            range,
            format_args!("wasm[{module}]::wasm_to_host_trampoline[{ty}]"),
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::{Config, Engine, Module, ProfilingStrategy};

    #[test]
    fn every_function_and_trampoline_is_named_at_its_address() {
        let wasm = wat::parse_str(
            r#"(module $m
                 (func $add (export "add") (param i32 i32) (result i32)
                   local.get 0 local.get 1 i32.add)
                 (func (export "two") (result i32) i32.const 2))"#,
        )
        .unwrap();
        let mut config = Config::new();
        config.profiler(ProfilingStrategy::PerfMap);
        let module = Module::from_binary(&Engine::new(&config).unwrap(), &wasm).unwrap();
        let text = super::lines(module.info(), module.code());
        let entries: Vec<(usize, usize, &str)> = text
            .lines()
            .map(|l| {
                let mut parts = l.splitn(3, ' ');
                let mut hex = || usize::from_str_radix(parts.next().unwrap(), 16).unwrap();
                let (start, size) = (hex(), hex());
                (start, size, parts.next().unwrap())
            })
            .collect();
        // Two functions, then two types' array and host trampolines.
        assert_eq!(entries.len(), 6, "{text}");
        assert_eq!(entries[0].2, "wasm[m]::function[0]::add");
        assert_eq!(entries[1].2, "wasm[m]::function[1]");
        assert_eq!(entries[2].2, "wasm[m]::array_to_wasm_trampoline[0]");
        assert_eq!(entries[5].2, "wasm[m]::wasm_to_host_trampoline[1]");
        let range = module.code().range();
        assert_eq!(entries[0].0, module.code().func_ptr(0) as usize);
        assert_eq!(entries[1].0, module.code().func_ptr(1) as usize);
        for (start, size, name) in &entries {
            assert!(*size > 0, "{name} is empty");
            assert!(range.start <= *start && start + size <= range.end, "{name}");
        }
        // Disjoint, in address order.
        for pair in entries.windows(2) {
            assert!(pair[0].0 + pair[0].1 <= pair[1].0, "{text}");
        }
    }
}
