//! `Linker<T>`: imports by name, and `InstancePre<T>`: a module whose
//! imports are resolved and type-checked once, ready to instantiate into
//! any store of its engine with no lookups or checks left to do.

use crate::externals::Extern;
use crate::func::{Caller, Func, HostFunc, IntoFunc};
use crate::instance::{Import, Instance, check_import_type};
use crate::store::{AsContext, AsContextMut};
use crate::values::Val;
use crate::vm::ValRaw;
use anyhow::{Result, bail};
use kiln_engine::{Engine, ExternType, FuncType, Module};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// Something a [`Linker`] can supply for an import.
enum Definition<T> {
    /// A host function defined on the linker: usable in every store.
    HostFunc(Arc<HostFunc<T>>),
    /// An item of one store, with its type when it was defined.
    Extern(Extern, ExternType),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::HostFunc(f) => Definition::HostFunc(f.clone()),
            Definition::Extern(e, t) => Definition::Extern(*e, t.clone()),
        }
    }
}

impl<T> Definition<T> {
    fn ty(&self) -> ExternType {
        match self {
            Definition::HostFunc(f) => ExternType::Func(f.ty.clone()),
            Definition::Extern(_, t) => t.clone(),
        }
    }
}

/// Resolves imports by `(module, name)`: host functions (shared by every
/// store), and memories, tables, globals, functions and whole instances
/// of a store.
pub struct Linker<T> {
    engine: Engine,
    map: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            map: self.map.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            map: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether defining a name twice replaces the first definition
    /// (otherwise it is an error). Off by default.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self> {
        match self.map.entry((module.to_string(), name.to_string())) {
            Entry::Occupied(mut e) => {
                if !self.allow_shadowing {
                    bail!("import `{module}::{name}` is already defined");
                }
                e.insert(def);
            }
            Entry::Vacant(e) => {
                e.insert(def);
            }
        }
        Ok(self)
    }

    /// Defines `module::name` as a host function from a Rust closure (as
    /// [`Func::wrap`]); it can be imported in every store.
    ///
    /// # Errors
    ///
    /// The name is already defined and shadowing is not allowed.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, raw) = func.into_func();
        let host = Arc::new(HostFunc::new(&self.engine, ty, raw));
        self.insert(module, name, Definition::HostFunc(host))
    }

    /// Defines `module::name` as a host function of type `ty` over
    /// [`Val`]s (as [`Func::new`]); it can be imported in every store.
    ///
    /// # Errors
    ///
    /// The name is already defined and shadowing is not allowed.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let raw = crate::func::dynamic_host_fn(ty.clone(), func);
        let host = Arc::new(HostFunc::new(&self.engine, ty, raw));
        self.insert(module, name, Definition::HostFunc(host))
    }

    /// Defines `module::name` as a host function over raw value slots (as
    /// [`Func::new_unchecked`]); it can be imported in every store.
    ///
    /// # Errors
    ///
    /// The name is already defined and shadowing is not allowed.
    ///
    /// # Safety
    ///
    /// As for [`Func::new_unchecked`].
    pub unsafe fn func_new_unchecked(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &mut [ValRaw]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let host = Arc::new(HostFunc::new(&self.engine, ty, Box::new(func)));
        self.insert(module, name, Definition::HostFunc(host))
    }

    /// Defines `module::name` as `item`, an item of `store`. Instances
    /// using it must live in that store.
    ///
    /// # Errors
    ///
    /// The name is already defined and shadowing is not allowed, or the
    /// item's store is of another engine.
    pub fn define(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        let store = store.as_context();
        let opaque = &store.0.opaque;
        if !Engine::same(&opaque.engine, &self.engine) {
            bail!("cannot define `{module}::{name}`: its store uses a different engine");
        }
        let item = item.into();
        let ty = item.ty_opaque(opaque);
        self.insert(module, name, Definition::Extern(item, ty))
    }

    /// Defines every export of `instance` under module name `module`.
    ///
    /// # Errors
    ///
    /// A name is already defined and shadowing is not allowed.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for (name, item) in instance.exports(&mut store) {
            self.define(&store, module, &name, item)?;
        }
        Ok(self)
    }

    /// Defines `module_name` as an instance of `module` made with this
    /// linker's definitions (running its start function).
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate`], or a name clash.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(store, module_name, instance)
    }

    /// Whether `module::name` is defined.
    pub fn is_defined(&self, module: &str, name: &str) -> bool {
        self.map
            .contains_key(&(module.to_string(), name.to_string()))
    }

    /// The definition of `module::name`, as an item of `store`. A host
    /// function defined on the linker is registered in `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.map.get(&(module.to_string(), name.to_string()))?;
        let store = store.as_context_mut().0;
        Some(match def {
            Definition::HostFunc(f) => Extern::Func(Func::from_host(store, f.clone())),
            Definition::Extern(e, _) => {
                if e.store_id() != store.opaque.id {
                    return None;
                }
                *e
            }
        })
    }

    /// Resolves and type-checks every import of `module`.
    ///
    /// # Errors
    ///
    /// A module of another engine or compiled for another target, an
    /// import that is not defined, or one
    /// whose type does not match (the error names the import and both
    /// types).
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        if !Engine::same(&self.engine, module.engine()) {
            bail!("the module was compiled by a different engine than the linker's");
        }
        module.engine().ensure_native("instantiate the module")?;
        let info = module.info();
        let mut defs = Vec::with_capacity(info.imports.len());
        let mut store_bound = None;
        for import in &info.imports {
            let expected = info.entity_type(import.index);
            let Some(def) = self.map.get(&(import.module.clone(), import.name.clone())) else {
                bail!(
                    "unknown import: `{}::{}` has not been defined (expected {expected})",
                    import.module,
                    import.name
                );
            };
            check_import_type(import, &expected, &def.ty())?;
            if let Definition::Extern(e, _) = def {
                match store_bound {
                    None => store_bound = Some(e.store_id()),
                    Some(id) if id != e.store_id() => bail!(
                        "the definitions of `{}`'s imports belong to different stores",
                        import.module
                    ),
                    Some(_) => {}
                }
            }
            defs.push(def.clone());
        }
        let imports: Box<[Import]> = defs
            .iter()
            .map(|d| match d {
                Definition::HostFunc(f) => Import::HostFunc(f.ctx()),
                Definition::Extern(e, _) => Import::Extern(*e),
            })
            .collect();
        Ok(InstancePre {
            inner: Arc::new(PreInner {
                module: module.clone(),
                _defs: defs,
                has_host_funcs: imports.iter().any(|i| matches!(i, Import::HostFunc(_))),
                imports,
                store_bound,
            }),
        })
    }

    /// Resolves `module`'s imports and instantiates it in `store`.
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate_pre`] and [`InstancePre::instantiate`].
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        self.instantiate_pre(module)?.instantiate(store)
    }
}

/// The shared part of an [`InstancePre`].
struct PreInner<T> {
    module: Module,
    /// Keeps the host functions `imports` points to alive.
    _defs: Vec<Definition<T>>,
    /// What each import resolves to, ready for instantiation.
    imports: Box<[Import]>,
    /// The store every store-bound definition belongs to, if any.
    store_bound: Option<u64>,
    /// Some import is a host function, which instances must keep alive.
    has_host_funcs: bool,
}

/// A module with its imports resolved and type-checked: instantiating it
/// does no name lookups and no type checks. `Send + Sync + Clone` (for
/// `T: Send`): one `InstancePre` serves many threads, each instantiating
/// into its own stores.
pub struct InstancePre<T> {
    inner: Arc<PreInner<T>>,
}

impl<T> std::fmt::Debug for InstancePre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePre")
            .field("module", &self.inner.module)
            .finish_non_exhaustive()
    }
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            inner: self.inner.clone(),
        }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The module.
    pub fn module(&self) -> &Module {
        &self.inner.module
    }

    /// Instantiates into `store` and runs the start function.
    ///
    /// # Errors
    ///
    /// The store is of another engine, or the definitions belong to
    /// another store; a resource limit; a trap (a [`crate::Trap`]) in a
    /// segment or the start function, in which case no instance is
    /// returned.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let inner = &*self.inner;
        if !Engine::same(&store.opaque.engine, inner.module.engine()) {
            bail!("the store uses a different engine than the module");
        }
        if let Some(id) = inner.store_bound
            && id != store.opaque.id
        {
            bail!("this `InstancePre` uses items of another store");
        }
        let keepalive = inner.has_host_funcs.then(|| {
            let arc: Arc<dyn std::any::Any + Send + Sync> = self.inner.clone();
            arc
        });
        Instance::new_resolved(store, &inner.module, &inner.imports, keepalive)
    }
}
