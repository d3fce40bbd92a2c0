//! `InstancePreCache<T>`: the engine's instance-pre cache. It maps the
//! SHA-256 of a module's bytes to a ready [`InstancePre`], resolved
//! against one [`Linker`], so that a host that is handed the same module
//! again neither compiles nor resolves it. It is bounded twice, by entry
//! count and by the modules' approximate size, evicting the least
//! recently used entries first, and counts its hits, misses and evictions.

use crate::linker::{InstancePre, Linker};
use anyhow::Result;
use kiln_engine::Module;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// A module's content hash: SHA-256 of its bytes (binary or text, as
/// given).
pub type ModuleHash = [u8; 32];

/// Counters and occupancy of an [`InstancePreCache`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a ready `InstancePre`.
    pub hits: u64,
    /// Lookups that compiled and resolved the module.
    pub misses: u64,
    /// Entries dropped to stay within the bounds.
    pub evictions: u64,
    /// Entries held now.
    pub entries: usize,
    /// Approximate bytes held now (see [`Module::approximate_size`]).
    pub bytes: usize,
}

struct Entry<T> {
    pre: InstancePre<T>,
    bytes: usize,
    /// The cache's clock at the last use: the smallest is evicted first.
    last_used: u64,
}

struct State<T> {
    entries: HashMap<ModuleHash, Entry<T>>,
    clock: u64,
    stats: CacheStats,
}

/// A thread-safe, bounded cache from module content to [`InstancePre`],
/// bound to one [`Linker`]. Share it by reference (it is `Sync` when `T:
/// Send`) or in an `Arc`.
pub struct InstancePreCache<T> {
    linker: Linker<T>,
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State<T>>,
}

impl<T: 'static> InstancePreCache<T> {
    /// A cache resolving imports with `linker`, holding at most
    /// `max_entries` modules and about `max_bytes` bytes of them. A module
    /// larger than `max_bytes` is compiled and returned but not kept.
    pub fn new(linker: Linker<T>, max_entries: usize, max_bytes: usize) -> Self {
        InstancePreCache {
            linker,
            max_entries,
            max_bytes,
            state: Mutex::new(State {
                entries: HashMap::new(),
                clock: 0,
                stats: CacheStats::default(),
            }),
        }
    }

    /// The linker imports are resolved with.
    pub fn linker(&self) -> &Linker<T> {
        &self.linker
    }

    /// The content hash the cache files `bytes` under.
    pub fn hash(bytes: &[u8]) -> ModuleHash {
        Sha256::digest(bytes).into()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ready `InstancePre` for the module `bytes` (binary or text
    /// format): from the cache, or compiled, resolved with the linker and
    /// kept.
    ///
    /// Compilation happens outside the cache's lock, so other lookups go
    /// on meanwhile; two threads missing on the same module at once may
    /// both compile it, and the first to finish is kept.
    ///
    /// # Errors
    ///
    /// The module does not compile, or its imports do not resolve; nothing
    /// is cached then.
    pub fn get_or_compile(&self, bytes: &[u8]) -> Result<InstancePre<T>> {
        self.get_or_compile_with(bytes, || Module::new(self.linker.engine(), bytes))
    }

    /// Like [`InstancePreCache::get_or_compile`], with the module filed
    /// under `bytes` but compiled by `compile` on a miss (to add context
    /// to errors, or to compile from another form of the same content).
    ///
    /// # Errors
    ///
    /// `compile` fails, or the module's imports do not resolve.
    pub fn get_or_compile_with(
        &self,
        bytes: &[u8],
        compile: impl FnOnce() -> Result<Module>,
    ) -> Result<InstancePre<T>> {
        let hash = Self::hash(bytes);
        if let Some(pre) = self.get(&hash) {
            return Ok(pre);
        }
        let pre = self.linker.instantiate_pre(&compile()?)?;
        Ok(self.insert(hash, pre))
    }

    /// The cached `InstancePre` for content hash `hash`, counting a hit or
    /// a miss.
    pub fn get(&self, hash: &ModuleHash) -> Option<InstancePre<T>> {
        let mut state = self.lock();
        let state = &mut *state;
        state.clock += 1;
        match state.entries.get_mut(hash) {
            Some(entry) => {
                entry.last_used = state.clock;
                state.stats.hits += 1;
                Some(entry.pre.clone())
            }
            None => {
                state.stats.misses += 1;
                None
            }
        }
    }

    /// Files `pre` under `hash` (keeping an entry another thread filed
    /// meanwhile instead), evicting least recently used entries to stay
    /// within the bounds; returns the entry now filed.
    pub fn insert(&self, hash: ModuleHash, pre: InstancePre<T>) -> InstancePre<T> {
        let bytes = pre.module().approximate_size();
        let mut state = self.lock();
        let state = &mut *state;
        state.clock += 1;
        if let Some(entry) = state.entries.get_mut(&hash) {
            entry.last_used = state.clock;
            return entry.pre.clone();
        }
        if bytes > self.max_bytes || self.max_entries == 0 {
            return pre;
        }
        while state.entries.len() >= self.max_entries || state.stats.bytes + bytes > self.max_bytes
        {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(h, _)| *h)
                .expect("over a bound means not empty");
            let evicted = state.entries.remove(&oldest).expect("just found");
            state.stats.bytes -= evicted.bytes;
            state.stats.evictions += 1;
        }
        state.stats.bytes += bytes;
        state.entries.insert(
            hash,
            Entry {
                pre: pre.clone(),
                bytes,
                last_used: state.clock,
            },
        );
        pre
    }

    /// The counters and current occupancy.
    pub fn stats(&self) -> CacheStats {
        let state = self.lock();
        CacheStats {
            entries: state.entries.len(),
            ..state.stats
        }
    }

    /// Drops every entry (counters are kept).
    pub fn clear(&self) {
        let mut state = self.lock();
        state.entries.clear();
        state.stats.bytes = 0;
    }
}
