//! Chapter 15's demo: `cargo run --release -p ch15-encoders -- [--quick]` (with
//! `KINDLING_DATASETS` set to the folder holding `tinyshakespeare/` and `fashion-mnist/`).
//!
//! The sections are filled in as the chapter's models land.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = chapter_kit::Output::for_chapter("15-encoders")?;
    out.step("chapter 15: nothing to run yet");
    Ok(())
}
