//! Kiln's signal handlers chain to the ones installed before them: a crash
//! in the host's own code is never swallowed. Process-global, so each case
//! runs in a child process (this same test binary, re-executed).

const CHILD: &str = "KILN_SIGNAL_CHAIN_CHILD";

/// Runs some wasm (installing Kiln's handlers), including a trap.
fn run_wasm() {
    use kiln_runtime::*;
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module (func (export "f") unreachable))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_typed_func::<(), ()>(&mut store, "f").unwrap();
    assert!(f.call(&mut store, ()).is_err());
}

fn host_segfault() -> ! {
    // SAFETY: deliberately faulting outside wasm; this is what is tested.
    unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u32>(), 1) };
    unreachable!("the write faults")
}

extern "C" fn previous_handler(_: libc::c_int) {
    let msg = b"previous handler ran\n";
    // SAFETY: async-signal-safe calls with valid buffers.
    unsafe {
        libc::write(1, msg.as_ptr().cast(), msg.len());
        libc::_exit(42);
    }
}

fn child(mode: &str) {
    if mode == "with-handler" {
        // SAFETY: installing a plain handler before Kiln installs its own.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = previous_handler as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
        }
    }
    run_wasm();
    host_segfault();
}

fn spawn(mode: &str) -> std::process::Output {
    kiln_runtime::target_command(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "spawned_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, mode)
        .output()
        .unwrap()
}

#[test]
fn spawned_child() {
    if let Ok(mode) = std::env::var(CHILD) {
        child(&mode);
    }
}

#[test]
fn host_fault_reaches_previous_handler() {
    let out = spawn("with-handler");
    assert_eq!(out.status.code(), Some(42), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("previous handler ran"));
}

#[test]
fn host_fault_without_handler_kills_the_process() {
    use std::os::unix::process::ExitStatusExt;
    let out = spawn("default");
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{out:?}");
}
