//! The `kiln` command as a library, so tests can drive its parts without
//! spawning the binary.
//!
//! | command | module |
//! |---|---|
//! | `kiln run FILE [--invoke NAME] [ARGS...]` | [`run`] |
//! | `kiln compile FILE [-o OUT]` | [`run`] |
//! | `kiln wast FILE...` | [`wast`] |

pub mod run;
pub mod wast;

/// A command running the program `exe` built for the target under test:
/// directly, or through the command in the environment variable
/// `KILN_TEST_RUNNER` (such as `qemu-aarch64 -L /usr/aarch64-linux-gnu`)
/// when the tests run under emulation, as `.ci/aarch64` does.
pub fn target_command(exe: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let runner = std::env::var("KILN_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut cmd = std::process::Command::new(program);
            cmd.args(words).arg(exe);
            cmd
        }
        None => std::process::Command::new(exe),
    }
}
