//! Which calls are inlined: calls to small defined functions, one level
//! deep, while the caller's budget lasts.
//!
//! The translator inlines at the WebAssembly level: at a `call` it
//! translates the callee's operators in place, with the callee's own
//! locals and control stack, and a `return` that jumps past the inlined
//! body (see `Translator::inline_call`). Every instruction translated
//! from an inlined body carries a source location naming an
//! [`InlineFrame`](crate::code::InlineFrame), so traps and backtraces
//! show the inlined function's frame as if it had been called.

use crate::module_info::FunctionInput;
use std::sync::OnceLock;
use wasmparser::{FuncToValidate, FunctionBody, ValidatorResources, WasmFeatures};

/// The largest function body, in bytes (locals included), that calls
/// inline.
pub const INLINE_MAX_BODY: usize = 64;

/// The wasm bytes of inlined bodies one function may take in.
pub(crate) const INLINE_BUDGET: usize = 1024;

/// The bodies that may be inlined, shared by the threads compiling a
/// module.
pub struct Inliner<'m> {
    /// Per defined function, the body if it is small enough.
    candidates: Vec<Option<Candidate<'m>>>,
}

/// A small function: its body and what validating it needs.
struct Candidate<'m> {
    body: FunctionBody<'m>,
    resources: ValidatorResources,
    index: u32,
    ty: u32,
    features: WasmFeatures,
    /// Whether the body validates, once someone asked. A function is
    /// inlined only once it is known to be valid: the translator assumes
    /// valid input, and the function's own compilation (which validates
    /// it too) may not have happened yet.
    valid: OnceLock<bool>,
}

impl<'m> Inliner<'m> {
    /// The candidates among `inputs`, the module's defined functions.
    /// None if the module reaches past the offsets source locations can
    /// hold (2 GiB).
    pub(crate) fn new(inputs: &[FunctionInput<'m>]) -> Option<Inliner<'m>> {
        let end = inputs.last().map_or(0, |i| i.body.range().end);
        if end >= u64::from(crate::code::INLINED) {
            return None;
        }
        let candidates = inputs
            .iter()
            .map(|input| {
                let r = input.body.range();
                (r.end - r.start <= INLINE_MAX_BODY as u64).then(|| Candidate {
                    body: input.body.clone(),
                    resources: input.validator.resources.clone(),
                    index: input.validator.index,
                    ty: input.validator.ty,
                    features: input.validator.features,
                    valid: OnceLock::new(),
                })
            })
            .collect();
        Some(Inliner { candidates })
    }

    /// The body of defined function `defined` if calls to it may be
    /// inlined: it is small and valid.
    pub(crate) fn body(&self, defined: u32) -> Option<&FunctionBody<'m>> {
        let c = self.candidates.get(defined as usize)?.as_ref()?;
        let valid = *c.valid.get_or_init(|| {
            let func = FuncToValidate {
                resources: c.resources.clone(),
                index: c.index,
                ty: c.ty,
                features: c.features,
            };
            func.into_validator(Default::default())
                .validate(&c.body)
                .is_ok()
        });
        valid.then_some(&c.body)
    }
}

/// The size in bytes of `body`, locals included.
pub(crate) fn body_len(body: &FunctionBody<'_>) -> usize {
    let r = body.range();
    (r.end - r.start) as usize
}

#[cfg(test)]
mod tests {
    use super::INLINE_MAX_BODY;
    use crate::{Config, Engine, Module};

    /// A module whose export calls `$f`, a function whose body (locals
    /// declaration to final `end`) is `size` bytes.
    fn module_calling_body_of(size: usize) -> String {
        // 1 (no locals) + nops + 2 (local.get 0) + 1 (end).
        let nops = "nop ".repeat(size - 4);
        format!(
            r#"(module
                 (func $f (param i32) (result i32) {nops} local.get 0)
                 (func (export "g") (param i32) (result i32)
                   local.get 0 call $f))"#
        )
    }

    fn inlined_frames(wat: &str, inlining: bool) -> usize {
        let mut config = Config::new();
        config.inlining(inlining);
        let module = Module::new(&Engine::new(&config).unwrap(), wat).unwrap();
        module.code().tables().inlined.len()
    }

    #[test]
    fn calls_to_bodies_up_to_the_limit_are_inlined() {
        let at_limit = module_calling_body_of(INLINE_MAX_BODY);
        // One frame per operator of the inlined body, plus its entry.
        assert_eq!(inlined_frames(&at_limit, true), INLINE_MAX_BODY - 4 + 3);
        assert_eq!(inlined_frames(&at_limit, false), 0);
        let past_limit = module_calling_body_of(INLINE_MAX_BODY + 1);
        assert_eq!(inlined_frames(&past_limit, true), 0);
    }

    #[test]
    fn an_invalid_callee_is_never_inlined_and_fails_compilation() {
        // `$f` would be inlined by size, but its body is invalid.
        let wasm = wat::parse_str(
            r#"(module
                 (func $f (param i32) (result i32) local.get 0 local.get 0)
                 (func (export "g") (param i32) (result i32)
                   local.get 0 call $f))"#,
        );
        // The text parser accepts it (type checking is validation's job).
        let wasm = wasm.unwrap();
        let err = Module::from_binary(&Engine::default(), &wasm).unwrap_err();
        assert!(format!("{err:#}").contains("type mismatch"), "{err:#}");
    }

    #[test]
    fn a_function_inlines_at_most_its_budget() {
        // 40 calls of a 30-byte body: 1024 bytes allow 34 of them.
        let calls = "local.get 0 call $f drop ".repeat(40);
        let wat = format!(
            r#"(module
                 (func $f (param i32) (result i32) {} local.get 0)
                 (func (export "g") (param i32) {calls}))"#,
            "nop ".repeat(26)
        );
        // Frames per inlined call: its entry, 26 nops, local.get, end.
        let per_call = 1 + 26 + 2;
        assert_eq!(
            inlined_frames(&wat, true),
            super::INLINE_BUDGET / 30 * per_call
        );
    }
}
