//! Inputs shared by Kiln's criterion benchmarks (`benches/*.rs`): the
//! modules they compile and call, built once so every benchmark measures
//! the same code.
//!
//! Run them with `cargo bench -p kiln-benches`; one bench target per
//! scenario: `compile`, `call` (with `execute`), `trap`, `interrupt`,
//! `programs` (real programs against native and, with `--features
//! wasmtime`, Wasmtime) and `instantiate`. The last two print a summary
//! table built by [`report`].

/// Recursive Fibonacci over `i64`, exported as `fib`, plus an exported
/// no-op `nop` for measuring call overhead.
pub const FIB_WAT: &str = r#"(module
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
  (func (export "nop")))"#;

/// A mid-size module in the text format: `functions` functions, each with
/// a loop, a branch table, integer arithmetic over locals and a global,
/// and a call to its predecessor, so the compiler sees a realistic mix
/// of control flow and arithmetic.
pub fn generated_module_wat(functions: usize) -> String {
    let mut wat = String::from("(module\n  (global $g (mut i32) (i32.const 1))\n");
    for i in 0..functions {
        let call_prev = if i == 0 {
            "(local.get 0)".to_string()
        } else {
            format!("(call $f{} (local.get 0) (local.get 1))", i - 1)
        };
        wat.push_str(&format!(
            r#"  (func $f{i} (export "f{i}") (param i32 i64) (result i32)
    (local $acc i32) (local $j i32)
    (local.set $acc (i32.const {i}))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (i32.and (local.get 0) (i32.const 15))))
        (local.set $acc
          (i32.xor (i32.mul (local.get $acc) (i32.const 31))
                   (i32.rotl (local.get $j) (i32.wrap_i64 (local.get 1)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (block $c (block $b (block $a
      (br_table $a $b $c (i32.rem_u (local.get $acc) (i32.const 3))))
      (local.set $acc (i32.add (local.get $acc) (global.get $g))) (br $c))
      (local.set $acc (i32.sub (local.get $acc) {call_prev})))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.add (local.get $acc) (i32.wrap_i64 (i64.shr_u (local.get 1) (i64.const 7)))))
"#
        ));
    }
    wat.push(')');
    wat
}

/// [`generated_module_wat`] in the binary format.
///
/// # Panics
///
/// Never for the text this crate generates; a panic means the generator
/// is broken.
pub fn generated_module(functions: usize) -> Vec<u8> {
    wat::parse_str(generated_module_wat(functions)).expect("generated module parses")
}

/// The tiny instantiation module: one memory page with a data segment, a
/// funcref table, a few globals, one exported function.
pub const TINY_WAT: &str = r#"(module
  (memory 1)
  (data (i32.const 16) "kiln")
  (table 4 funcref)
  (elem (i32.const 0) $run)
  (global $a (mut i32) (i32.const 1))
  (global $b (mut i64) (i64.const 2))
  (global $c f64 (f64.const 3.5))
  (func $run (export "run") (result i32)
    (global.set $a (i32.add (global.get $a) (i32.const 1)))
    (global.get $a)))"#;

/// The large instantiation module: 2,000 functions, a 10,000-entry funcref
/// table filled by an active element segment, and 1 MiB of data segments
/// (16 segments of 64 KiB) in a 32-page memory; exports `run`.
pub fn large_module() -> Vec<u8> {
    let mut wat = String::from("(module\n  (memory 32)\n  (table 10000 funcref)\n");
    wat.push_str("  (global $g (mut i32) (i32.const 0))\n");
    for i in 0..2000 {
        wat.push_str(&format!(
            "  (func $f{i} (result i32) (i32.add (global.get $g) (i32.const {i})))\n"
        ));
    }
    wat.push_str("  (elem (i32.const 0)");
    for i in 0..10_000 {
        wat.push_str(&format!(" $f{}", i % 2000));
    }
    wat.push_str(")\n");
    for seg in 0..16 {
        let byte = format!("\\{:02x}", seg + 1);
        wat.push_str(&format!(
            "  (data (i32.const {}) \"{}\")\n",
            seg * 65536,
            byte.repeat(65536)
        ));
    }
    wat.push_str("  (func (export \"run\") (result i32) (call $f1999))\n)");
    wat::parse_str(&wat).expect("the large module parses")
}

/// The benchmark programs (`programs/src/lib.rs`) compiled to
/// `wasm32-unknown-unknown` by the build script.
pub const PROGRAMS_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/programs.wasm"));

/// A module the instantiation and serialization benchmarks use, and the
/// export (with its `i32` arguments) each run calls.
pub struct Subject {
    /// Its name in benchmark ids.
    pub name: &'static str,
    /// The binary.
    pub bytes: Vec<u8>,
    /// The export called.
    pub export: &'static str,
    /// Its arguments.
    pub args: &'static [i32],
}

/// The median of `v` (the upper one of an even count); `None` if empty.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// The tiny module, the large one and the programs.
pub fn subjects() -> [Subject; 3] {
    [
        Subject {
            name: "tiny",
            bytes: wat::parse_str(TINY_WAT).expect("tiny parses"),
            export: "run",
            args: &[],
        },
        Subject {
            name: "large",
            bytes: large_module(),
            export: "run",
            args: &[],
        },
        Subject {
            name: "programs",
            bytes: PROGRAMS_WASM.to_vec(),
            export: "fib",
            args: &[1],
        },
    ]
}

/// Side-by-side reports: reads back the medians criterion wrote in this
/// run and prints them in one table with ratios.
pub mod report {
    use criterion::Criterion;
    use std::path::PathBuf;
    use std::time::SystemTime;

    /// Where criterion writes its results: `$CRITERION_HOME`, else
    /// `target/criterion`, found from the benchmark executable's path
    /// (`target/<profile>/deps/<bench>`).
    pub fn criterion_dir() -> PathBuf {
        if let Some(home) = std::env::var_os("CRITERION_HOME") {
            return PathBuf::from(home);
        }
        let exe = std::env::current_exe().expect("the benchmark knows its path");
        exe.ancestors()
            .nth(3)
            .map(|target| target.join("criterion"))
            .unwrap_or_else(|| PathBuf::from("target/criterion"))
    }

    /// The results of one benchmark run, as criterion writes them.
    pub struct Run {
        dir: PathBuf,
        since: SystemTime,
    }

    impl Run {
        /// Starts a run: criterion configured from the command line, writing
        /// to [`criterion_dir`], and the handle to read its medians back.
        pub fn start() -> (Criterion, Run) {
            let run = Run {
                dir: criterion_dir(),
                since: SystemTime::now(),
            };
            let criterion = Criterion::default()
                .output_directory(&run.dir)
                .configure_from_args();
            (criterion, run)
        }

        /// The median time in nanoseconds of benchmark `group/id`, if
        /// criterion measured it in this run (so a filtered-out benchmark's
        /// old result is never reported).
        pub fn median_ns(&self, group: &str, id: &str) -> Option<f64> {
            let path = self.dir.join(group).join(id).join("new/estimates.json");
            let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
            if modified < self.since {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            json["median"]["point_estimate"].as_f64()
        }
    }

    /// Formats nanoseconds with a unit that keeps 3-4 significant digits.
    pub fn format_ns(ns: f64) -> String {
        if ns >= 1e9 {
            format!("{:.3} s", ns / 1e9)
        } else if ns >= 1e6 {
            format!("{:.3} ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{:.3} us", ns / 1e3)
        } else {
            format!("{ns:.1} ns")
        }
    }

    /// Prints a table: one row per entry of `rows` measured in this run,
    /// one column per engine in `columns` (the first is Kiln), then the
    /// ratio of Kiln's time to each other column's, and the geometric mean
    /// of each ratio last. Prints nothing if no row was measured.
    pub fn print_table(title: &str, columns: &[&str], rows: &[(String, Vec<Option<f64>>)]) {
        const MEAN: &str = "geometric mean";
        let rows: Vec<_> = rows
            .iter()
            .filter(|(_, times)| times.iter().any(Option::is_some))
            .collect();
        if rows.is_empty() {
            return;
        }
        let width = rows
            .iter()
            .map(|(name, _)| name.len())
            .fold(MEAN.len(), usize::max)
            + 2;
        println!("\n{title}");
        let mut header = " ".repeat(width);
        for c in columns {
            header.push_str(&format!("{c:>14}"));
        }
        for c in &columns[1..] {
            header.push_str(&format!("{:>18}", format!("{}/{c}", columns[0])));
        }
        println!("{header}");
        let mut logs = vec![(0.0f64, 0usize); columns.len()];
        for (name, times) in rows {
            let mut line = format!("{name:<width$}");
            for t in times {
                line.push_str(&format!("{:>14}", t.map_or("-".into(), format_ns)));
            }
            for (k, t) in times.iter().enumerate().skip(1) {
                match (times[0], t) {
                    (Some(kiln), Some(other)) => {
                        let ratio = kiln / other;
                        logs[k].0 += ratio.ln();
                        logs[k].1 += 1;
                        line.push_str(&format!("{ratio:>17.3}x"));
                    }
                    _ => line.push_str(&format!("{:>18}", "-")),
                }
            }
            println!("{line}");
        }
        let mut line = format!("{MEAN:<width$}{}", " ".repeat(14 * columns.len()));
        for (sum, n) in &logs[1..] {
            if *n > 0 {
                line.push_str(&format!("{:>17.3}x", (sum / *n as f64).exp()));
            } else {
                line.push_str(&format!("{:>18}", "-"));
            }
        }
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use kiln_runtime::{Engine, Instance, Module, Store};

    #[test]
    fn generated_module_compiles_and_runs() {
        let engine = Engine::default();
        let module = Module::from_binary(&engine, &super::generated_module(20)).unwrap();
        assert_eq!(module.exports().len(), 20);
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        // f0(0, 0) skips the loop, takes the first branch-table arm and
        // returns the global, which it then increments.
        let f0 = instance
            .get_typed_func::<(i32, i64), i32>(&mut store, "f0")
            .unwrap();
        assert_eq!(f0.call(&mut store, (0, 0)).unwrap(), 1);
        assert_eq!(f0.call(&mut store, (0, 0)).unwrap(), 2);
        let f19 = instance
            .get_typed_func::<(i32, i64), i32>(&mut store, "f19")
            .unwrap();
        f19.call(&mut store, (15, -1)).unwrap();
    }

    #[test]
    fn instantiation_modules_run() {
        let engine = Engine::default();
        for bytes in [
            wat::parse_str(super::TINY_WAT).unwrap(),
            super::large_module(),
        ] {
            let module = Module::from_binary(&engine, &bytes).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let run = instance
                .get_typed_func::<(), i32>(&mut store, "run")
                .unwrap();
            assert!(run.call(&mut store, ()).unwrap() > 0);
        }
    }

    #[test]
    fn fib_module_computes_fib() {
        let engine = Engine::default();
        let module = Module::new(&engine, super::FIB_WAT).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let fib = instance
            .get_typed_func::<i64, i64>(&mut store, "fib")
            .unwrap();
        assert_eq!(fib.call(&mut store, 20).unwrap(), 6765);
        let nop = instance
            .get_typed_func::<(), ()>(&mut store, "nop")
            .unwrap();
        nop.call(&mut store, ()).unwrap();
    }
}
