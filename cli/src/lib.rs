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
