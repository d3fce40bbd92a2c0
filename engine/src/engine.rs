//! `Engine`: the compilation environment shared by every module and store,
//! holding the configuration and the Cranelift ISA of the host.

use crate::code::CodeImage;
use crate::config::Config;
use crate::types::FuncType;
use anyhow::{Result, anyhow};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use target_lexicon::Triple;

/// A compilation environment. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    isa: OwnedTargetIsa,
    /// Whether the code compiled for `isa` runs on this machine.
    native: bool,
    /// The epoch counter compiled code compares deadlines with.
    epoch: AtomicU64,
    /// Engine-wide function type ids: `call_indirect` compares these.
    types: Mutex<HashMap<FuncType, u32>>,
    /// Wasm-to-host trampolines for host functions used as `funcref`s,
    /// by type id, compiled on first use.
    host_trampolines: Mutex<HashMap<u32, Arc<CodeImage>>>,
    /// Every setting that changes the code compiled for a module, as
    /// `(name, value)`, and a SHA-256 over them: precompiled modules
    /// carry both and load only into an engine with the same.
    settings: Vec<(String, String)>,
    settings_hash: [u8; 32],
    /// On-disk cache outcomes: loaded, compiled (and stored).
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    /// State the runtime keeps per engine (its instance allocator).
    runtime_state: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
}

impl Engine {
    /// Per-engine state of the runtime (its instance allocator), created
    /// on first use.
    #[doc(hidden)]
    pub fn runtime_state(&self) -> &std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>> {
        &self.inner.runtime_state
    }

    /// Creates an engine for the host machine.
    ///
    /// # Errors
    ///
    /// The host architecture is not supported by Cranelift, or the
    /// configuration is inconsistent.
    pub fn new(config: &Config) -> Result<Engine> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags
                .set(name, value)
                .map_err(|e| anyhow!("cranelift setting {name}={value}: {e}"))
        };
        let opt = match config.opt_level {
            crate::OptLevel::None => "none",
            crate::OptLevel::Speed => "speed",
            crate::OptLevel::SpeedAndSize => "speed_and_size",
        };
        set(&mut flags, "opt_level", opt)?;
        let yes_no = |b: bool| if b { "true" } else { "false" };
        set(&mut flags, "enable_verifier", yes_no(config.debug_verifier))?;
        set(
            &mut flags,
            "enable_nan_canonicalization",
            yes_no(config.nan_canonicalization),
        )?;
        // Backtraces walk the frame-pointer chain.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        // Functions with more results than the target has return registers
        // (aarch64 has fewer than x86-64) return the rest through memory.
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        // Stack overflow is caught by the stack-limit check in each prologue.
        set(&mut flags, "enable_probestack", "false")?;
        set(&mut flags, "unwind_info", "false")?;
        let host = Triple::host();
        let (mut isa_builder, native) = match &config.target {
            // Another target (or the host's named explicitly): its
            // baseline features only, so the code runs on any such machine.
            Some(target) => {
                let builder = cranelift_codegen::isa::lookup(target.clone())
                    .map_err(|e| anyhow!("target {target}: {e}"))?;
                (builder, *target == host)
            }
            // The host, with every feature its CPU has.
            None => (
                cranelift_native::builder().map_err(|e| anyhow!("host ISA: {e}"))?,
                true,
            ),
        };
        // A flag is the target ISA's if it knows the name, else shared.
        for (name, value) in &config.cranelift_flags {
            match isa_builder.set(name, value) {
                Ok(()) => {}
                Err(settings::SetError::BadName(_)) => set(&mut flags, name, value)?,
                Err(e) => return Err(anyhow!("cranelift setting {name}={value}: {e}")),
            }
        }
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| anyhow!("target ISA: {e}"))?;
        let settings = compilation_settings(config, &*isa);
        let settings_hash = {
            use sha2::Digest as _;
            let mut h = sha2::Sha256::new();
            for (name, value) in &settings {
                h.update(name.as_bytes());
                h.update(b"=");
                h.update(value.as_bytes());
                h.update(b"\n");
            }
            h.finalize().into()
        };
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                isa,
                native,
                settings,
                settings_hash,
                cache_hits: AtomicU64::new(0),
                cache_misses: AtomicU64::new(0),
                epoch: AtomicU64::new(0),
                types: Mutex::new(HashMap::new()),
                host_trampolines: Mutex::new(HashMap::new()),
                runtime_state: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The settings that change compiled code, as `(name, value)` pairs:
    /// Cranelift's shared and ISA flags and Kiln's own code-shaping
    /// options. Precompiled modules load only where these are equal.
    pub fn compilation_settings(&self) -> &[(String, String)] {
        &self.inner.settings
    }

    /// SHA-256 of [`Engine::compilation_settings`].
    pub fn settings_hash(&self) -> &[u8; 32] {
        &self.inner.settings_hash
    }

    /// On-disk compile cache counts ([`Config::cache_dir`]): modules
    /// loaded from the cache, and modules compiled because they were not
    /// in it (or their file was unusable).
    pub fn cache_stats(&self) -> (u64, u64) {
        (
            self.inner.cache_hits.load(Ordering::Relaxed),
            self.inner.cache_misses.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn count_cache(&self, hit: bool) {
        let counter = if hit {
            &self.inner.cache_hits
        } else {
            &self.inner.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The Cranelift target ISA.
    pub fn isa(&self) -> &dyn cranelift_codegen::isa::TargetIsa {
        &*self.inner.isa
    }

    /// The target triple this engine compiles for.
    pub fn target(&self) -> &Triple {
        self.inner.isa.triple()
    }

    /// Whether this engine's code runs on this machine: false for an
    /// engine made with [`Config::target`] naming another target, which
    /// only compiles and serializes.
    pub fn is_native(&self) -> bool {
        self.inner.native
    }

    /// Fails unless this engine's code runs here (see
    /// [`Engine::is_native`]); `what` names the refused operation.
    ///
    /// # Errors
    ///
    /// The engine compiles for another target.
    pub fn ensure_native(&self, what: &str) -> Result<()> {
        if self.inner.native {
            return Ok(());
        }
        Err(anyhow!(
            "cannot {what}: this engine compiles for {}, not for this host ({}); \
             precompile with it and load the module on a {} machine",
            self.target(),
            Triple::host(),
            self.target().architecture
        ))
    }

    /// Advances the epoch by one, interrupting wasm in any store whose
    /// deadline it reaches (with epoch interruption enabled). Callable from
    /// any thread, including while wasm runs.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    /// The current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    /// The epoch counter compiled code reads.
    pub fn epoch_ptr(&self) -> *const AtomicU64 {
        &self.inner.epoch
    }

    /// The engine-wide id of a function type: equal types, equal ids.
    pub fn type_id(&self, ty: &FuncType) -> u32 {
        let mut types = self.inner.types.lock().unwrap();
        if let Some(&id) = types.get(ty) {
            return id;
        }
        let id = types.len() as u32;
        types.insert(ty.clone(), id);
        id
    }

    /// A wasm-to-host trampoline for type `ty`, for host functions called
    /// through a `funcref` (imports use their module's own trampolines).
    ///
    /// # Errors
    ///
    /// Cranelift fails to compile the trampoline.
    pub fn host_trampoline(&self, ty: &FuncType) -> anyhow::Result<*const u8> {
        self.ensure_native("call host functions")?;
        let id = self.type_id(ty);
        let mut cache = self.inner.host_trampolines.lock().unwrap();
        if let Some(image) = cache.get(&id) {
            return Ok(image.host_trampoline(0));
        }
        let image = Arc::new(crate::compile::standalone_host_trampoline(self, ty)?);
        let ptr = image.host_trampoline(0);
        cache.insert(id, image);
        Ok(ptr)
    }

    /// True if both handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// How many handles to the engine exist (the runtime's per-thread
    /// anchors let go of one that nothing else holds).
    #[doc(hidden)]
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(&Config::default()).expect("the host is supported by Cranelift")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("triple", &self.isa().triple().to_string())
            .finish()
    }
}

/// Names of the target ISA's settings in [`Engine::compilation_settings`]
/// start with this; a precompiled module may load where such a CPU feature
/// flag is on though it was compiled with it off.
pub(crate) const ISA_FLAG_PREFIX: &str = "cranelift.isa.";

/// Lists what code generation depends on (see
/// [`Engine::compilation_settings`]). The verifier flag is left out: it
/// checks code but never changes it.
fn compilation_settings(
    config: &Config,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let flag = |v: &settings::Value| (format!("cranelift.{}", v.name), v.value_string());
    out.extend(
        isa.flags()
            .iter()
            .filter(|v| v.name != "enable_verifier")
            .map(|v| flag(&v)),
    );
    out.extend(
        isa.isa_flags()
            .iter()
            .map(|v| (format!("{ISA_FLAG_PREFIX}{}", v.name), v.value_string())),
    );
    let features = config.wasm_features();
    let kiln = [
        ("memory_reservation", config.memory_reservation.to_string()),
        ("memory_guard_size", config.memory_guard_size.to_string()),
        ("consume_fuel", config.consume_fuel.to_string()),
        ("epoch_interruption", config.epoch_interruption.to_string()),
        ("inlining", config.inlining.to_string()),
        ("wasm_features", format!("{:#x}", features.bits())),
    ];
    out.extend(kiln.into_iter().map(|(n, v)| (format!("kiln.{n}"), v)));
    out
}
