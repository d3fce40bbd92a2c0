//! The instance-pre cache: the same module bytes compile and resolve once,
//! entries are evicted least recently used first by count and by size,
//! failures are not cached, and many threads share one cache.

use kiln_runtime::*;

/// A module importing `env.add`, distinct per `n` (and so per hash).
fn module(n: i32) -> String {
    format!(
        r#"(module
          (import "env" "add" (func $add (param i32 i32) (result i32)))
          (func (export "run") (result i32) (call $add (i32.const {n}) (i32.const 1))))"#
    )
}

fn cache(max_entries: usize, max_bytes: usize) -> InstancePreCache<()> {
    let engine = Engine::default();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "add", |a: i32, b: i32| a + b)
        .unwrap();
    InstancePreCache::new(linker, max_entries, max_bytes)
}

/// Instantiates `pre` into a fresh store and calls `run`.
fn run(cache: &InstancePreCache<()>, pre: &InstancePre<()>) -> i32 {
    let mut store = Store::new(cache.linker().engine(), ());
    let instance = pre.instantiate(&mut store).unwrap();
    instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap()
        .call(&mut store, ())
        .unwrap()
}

#[test]
fn same_bytes_hit() {
    let cache = cache(8, usize::MAX);
    let a = cache.get_or_compile(module(1).as_bytes()).unwrap();
    let b = cache.get_or_compile(module(1).as_bytes()).unwrap();
    assert!(Module::same(a.module(), b.module()));
    let c = cache.get_or_compile(module(2).as_bytes()).unwrap();
    assert!(!Module::same(a.module(), c.module()));
    assert_eq!(run(&cache, &b), 2);
    assert_eq!(run(&cache, &c), 3);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.evictions), (1, 2, 0));
    assert_eq!(stats.entries, 2);
    assert!(stats.bytes > 0);
}

#[test]
fn least_recently_used_goes_first() {
    let cache = cache(2, usize::MAX);
    let m = |n| module(n).into_bytes();
    cache.get_or_compile(&m(1)).unwrap();
    cache.get_or_compile(&m(2)).unwrap();
    // 1 is used again, so 2 is the least recently used when 3 arrives.
    cache.get_or_compile(&m(1)).unwrap();
    cache.get_or_compile(&m(3)).unwrap();
    let h = |n| InstancePreCache::<()>::hash(&m(n));
    assert!(cache.get(&h(1)).is_some());
    assert!(cache.get(&h(3)).is_some());
    assert!(cache.get(&h(2)).is_none());
    let stats = cache.stats();
    assert_eq!(stats.evictions, 1);
    assert_eq!(stats.entries, 2);
}

#[test]
fn the_byte_bound_evicts_and_oversized_modules_are_not_kept() {
    let probe = cache(8, usize::MAX);
    let size = probe
        .get_or_compile(module(1).as_bytes())
        .unwrap()
        .module()
        .approximate_size();
    // Room for two modules of about this size, not three.
    let cache = cache(100, size * 2 + size / 2);
    for n in 1..=3 {
        cache.get_or_compile(module(n).as_bytes()).unwrap();
    }
    let stats = cache.stats();
    assert_eq!(stats.entries, 2);
    assert_eq!(stats.evictions, 1);
    assert!(stats.bytes <= size * 2 + size / 2);

    let tiny = self::cache(100, size / 2);
    let pre = tiny.get_or_compile(module(1).as_bytes()).unwrap();
    assert_eq!(run(&tiny, &pre), 2);
    assert_eq!(tiny.stats().entries, 0);
}

#[test]
fn failures_are_not_cached() {
    let cache = cache(8, usize::MAX);
    assert!(
        cache
            .get_or_compile(b"(module (func (result i32)))")
            .is_err()
    );
    let unresolved = r#"(module (import "env" "missing" (func)))"#;
    let err = cache.get_or_compile(unresolved.as_bytes()).unwrap_err();
    assert!(format!("{err:#}").contains("missing"), "{err:#}");
    assert!(cache.get_or_compile(unresolved.as_bytes()).is_err());
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.entries), (0, 0));
    cache.get_or_compile(module(1).as_bytes()).unwrap();
    cache.clear();
    assert_eq!(cache.stats().entries, 0);
    assert_eq!(cache.stats().bytes, 0);
}

#[test]
fn threads_share_one_cache() {
    fn assert_sync<C: Send + Sync>(_: &C) {}
    let cache = cache(4, usize::MAX);
    assert_sync(&cache);
    std::thread::scope(|s| {
        for t in 0..2 {
            let cache = &cache;
            s.spawn(move || {
                for i in 0..200 {
                    let n = (i + t) % 3;
                    let pre = cache.get_or_compile(module(n).as_bytes()).unwrap();
                    assert_eq!(run(cache, &pre), n + 1);
                }
            });
        }
    });
    let stats = cache.stats();
    assert_eq!(stats.hits + stats.misses, 400);
    assert_eq!(stats.entries, 3);
    // Each module is compiled at least once, and at most once per thread.
    assert!((3..=6).contains(&stats.misses), "{stats:?}");
}
