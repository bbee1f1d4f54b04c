//! A fuzzing harness for every file loader in Kindling, on a stable toolchain.
//!
//! Loaders read files from the world, so no input may crash them: a corrupt or hostile file
//! must come back as an error. This crate feeds each loader (a [`targets::Target`]) mutated
//! copies of small valid files and fails on anything other than `Ok` or `Err`:
//!
//! - **Inputs** ([`mutate`]) are a pure function of (target, seed, index): systematic
//!   mutations of each seed file (header fields set to extremes, numbers in text replaced,
//!   truncation at every length) interleaved with random stacks of bit flips, overwrites,
//!   insertions, deletions, duplicated chunks, splices between seeds and format tokens. An input
//!   is regenerated from its index, so a crash needs no more than the index to be reproduced.
//! - **Seeds** ([`seeds`]) are built in memory: IDX files of every element type, MNIST files,
//!   CSV and text with multi-byte UTF-8, PNGs and JPEGs, safetensors dicts, a checkpoint of a
//!   tiny trained model, a state dict of a small `Sequential`, the files of a small byte-level
//!   BPE, WordPiece and word vocabularies, word2vec text vectors.
//! - **A child process per target** ([`child`]) runs the inputs under guards ([`guard`]): a
//!   counting allocator that aborts on a single allocation over [`guard::MAX_ALLOCATION`] or a
//!   live heap over [`guard::MAX_LIVE`], a watchdog that aborts when one input runs longer than
//!   [`guard::MAX_INPUT_TIME`], and `catch_unwind` around every input. An abort takes only the
//!   child down.
//! - **The parent** ([`parent`]) restarts the child after each finding, saves the input of
//!   every new cause as `regressions/<target>/<hash>.bin` (with a `.txt` note saying why), and
//!   prints a summary line per target. The fast replay test runs every saved file again.
//!
//! Run it with `cargo run --release -p kindling-fuzz -- --seconds 30` (or `--target png`,
//! `--seed 7`, `--replay`, `--list`). Inside `cargo test` it runs for a bounded time:
//! `KINDLING_FUZZ_SECONDS` per target if set, else 8 s per target under `CI=true` and 1.5 s
//! otherwise, times the target's [`targets::Target::test_share`].

pub mod child;
pub mod guard;
pub mod mutate;
pub mod parent;
pub mod seeds;
pub mod targets;

/// Seconds per target for the test run: `KINDLING_FUZZ_SECONDS` if set, else 8 under
/// `CI=true` and 1.5 otherwise.
pub fn test_seconds() -> f64 {
    if let Some(s) = std::env::var("KINDLING_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()) {
        return s;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        8.0
    } else {
        1.5
    }
}
