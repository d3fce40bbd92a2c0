//! Per-thread anchors: how a store holds its engine and its modules
//! without touching their reference counts.
//!
//! An `Arc`'s count is one cache line that every thread cloning or
//! dropping the `Arc` writes. A store holds its engine and each module it
//! instantiated for as long as it lives, and a serverless host makes and
//! drops a store per request on every thread: cloning the `Engine` and
//! the `Module` for each store made two threads instantiating at once
//! trade those lines back and forth (and the module's fields that share
//! the count's line) on every instantiation.
//!
//! So each thread keeps, for the last few engines and modules it used,
//! an anchor: an `Arc` holding one handle. A store clones the anchor of
//! its thread, whose count only that thread writes (a store dropped on
//! another thread still decrements it correctly, just without the
//! benefit).
//!
//! An anchor keeps its target alive while it is cached, so a thread lets
//! go of an anchor that nothing but its cache holds, and whose target
//! nothing but the anchor holds, the next time it looks any anchor of that
//! kind up (it makes a store, or instantiates); at most [`CACHED`] per kind
//! stay, and the thread's exit drops them all.

use kiln_engine::{Engine, Module};
use std::cell::RefCell;
use std::sync::Arc;
use std::thread::LocalKey;

/// Anchors kept per thread and kind.
const CACHED: usize = 4;

/// A handle kept through an anchor: dereferences to the target.
pub struct Anchored<T>(Arc<T>);

impl<T> std::ops::Deref for Anchored<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What can be anchored: a shared handle.
pub(crate) trait Anchorable: Clone + 'static {
    /// True if both are handles to the same target.
    fn same(a: &Self, b: &Self) -> bool;
    /// Handles to the target in existence.
    fn handle_count(&self) -> usize;
    /// This thread's anchors of this kind, most recently used first.
    fn anchors() -> &'static LocalKey<RefCell<Vec<Arc<Self>>>>;
}

thread_local! {
    static ENGINES: RefCell<Vec<Arc<Engine>>> = const { RefCell::new(Vec::new()) };
    static MODULES: RefCell<Vec<Arc<Module>>> = const { RefCell::new(Vec::new()) };
}

/// Implements [`Anchorable`] for `$ty`, whose anchors are `$anchors`.
macro_rules! anchorable {
    ($ty:ident, $anchors:ident) => {
        impl Anchorable for $ty {
            fn same(a: &$ty, b: &$ty) -> bool {
                $ty::same(a, b)
            }
            fn handle_count(&self) -> usize {
                $ty::handle_count(self)
            }
            fn anchors() -> &'static LocalKey<RefCell<Vec<Arc<$ty>>>> {
                &$anchors
            }
        }
    };
}

anchorable!(Engine, ENGINES);
anchorable!(Module, MODULES);

/// A handle to `target` through this thread's anchor of it (made if
/// needed); a handle of its own if the thread's anchors are unavailable
/// (while the thread exits).
pub(crate) fn anchor<T: Anchorable>(target: &T) -> Anchored<T> {
    let mut released = Vec::new();
    let anchored = T::anchors()
        .try_with(|cell| {
            let mut anchors = cell.try_borrow_mut().ok()?;
            // Let go of anchors nothing else uses, whose targets nothing
            // else holds (never `target`'s: the caller holds it).
            let mut i = 0;
            while i < anchors.len() {
                let a = &anchors[i];
                if Arc::strong_count(a) == 1 && a.handle_count() == 1 {
                    released.push(anchors.remove(i));
                } else {
                    i += 1;
                }
            }
            let found = anchors.iter().position(|a| T::same(a, target));
            let anchor = match found {
                Some(0) => anchors[0].clone(),
                Some(i) => {
                    let a = anchors.remove(i);
                    anchors.insert(0, a.clone());
                    a
                }
                None => {
                    // The least recently used beyond `CACHED` go.
                    let a = Arc::new(target.clone());
                    anchors.insert(0, a.clone());
                    if anchors.len() > CACHED {
                        released.extend(anchors.drain(CACHED..));
                    }
                    a
                }
            };
            Some(anchor)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::new(target.clone()));
    // Dropped outside the borrow: a target's drop may run arbitrary code.
    drop(released);
    Anchored(anchored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_shared_per_thread_and_let_go_when_unused() {
        let engine = Engine::default();
        let a = anchor(&engine);
        let b = anchor(&engine);
        assert!(Arc::ptr_eq(&a.0, &b.0), "one anchor per thread");
        assert!(Engine::same(&a, &engine));
        // The anchor holds one handle, whatever the number of stores.
        assert_eq!(engine.handle_count(), 2);
        let other = std::thread::spawn({
            let engine = engine.clone();
            move || {
                let c = anchor(&engine);
                Arc::strong_count(&c.0)
            }
        })
        .join()
        .unwrap();
        assert_eq!(other, 2, "another thread has its own anchor");
        drop((a, b));
        // The user's last handle goes: the next lookup, of this engine or
        // another, lets the anchor go.
        let fresh = Engine::default();
        let _c = anchor(&fresh);
        drop(engine);
        let _d = anchor(&fresh);
        ENGINES.with(|e| {
            let anchors = e.borrow();
            assert_eq!(anchors.len(), 1);
            assert!(Engine::same(&anchors[0], &fresh));
        });
        // At most `CACHED` kept.
        let engines: Vec<Engine> = (0..CACHED + 2).map(|_| Engine::default()).collect();
        let anchored: Vec<_> = engines.iter().map(anchor).collect();
        ENGINES.with(|e| assert_eq!(e.borrow().len(), CACHED));
        for (a, e) in anchored.iter().zip(&engines) {
            assert!(Engine::same(a, e));
        }
    }
}
