//! Compiles every `kernels/*.cu` to PTX in `OUT_DIR` with nvcc. The Rust side embeds the PTX
//! with `include_str!` and hands it to the driver, which compiles it for the GPU it runs on.
//!
//! nvcc is found as `$CUDA_PATH/bin/nvcc`, else `nvcc` on `PATH`. The PTX target defaults to
//! `compute_80` (the oldest architecture with TF32 tensor cores, so one PTX file serves A100,
//! H100, H200 and later); `KINDLING_CUDA_ARCH` overrides it (e.g. `compute_90`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const HOW_TO_GET_NVCC: &str = "\
kindling-cuda needs nvcc (CUDA 13.0) to compile its kernels to PTX, and found none.
Either run `source .ci/cuda-setup` from the repository root (it installs nvcc, the CUDA headers
and a libcuda.so to link against, from PyPI and Debian, into ~/.cache/kindling-cuda; no GPU or
root needed), or install them yourself and point CUDA_PATH at the folder holding bin/nvcc:
    python3 -m venv ~/cu13 && ~/cu13/bin/pip install 'nvidia-cuda-nvcc==13.0.*' \\
        'nvidia-cuda-runtime==13.0.*' 'nvidia-cuda-crt==13.0.*' 'nvidia-nvvm==13.0.*'
    export CUDA_PATH=$(echo ~/cu13/lib/python3*/site-packages/nvidia/cu13)
A plain `cargo test --workspace` at the repository root does not build this crate.";

fn find_nvcc() -> Option<PathBuf> {
    if let Some(root) = env::var_os("CUDA_PATH") {
        let candidate = Path::new(&root).join("bin").join("nvcc");
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let on_path = PathBuf::from("nvcc");
    match Command::new(&on_path).arg("--version").output() {
        Ok(out) if out.status.success() => Some(on_path),
        _ => None,
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=CUDA_PATH");
    println!("cargo:rerun-if-env-changed=KINDLING_CUDA_ARCH");
    println!("cargo:rerun-if-changed=kernels");

    let nvcc = find_nvcc().unwrap_or_else(|| panic!("\n\n{HOW_TO_GET_NVCC}\n\n"));
    let arch = env::var("KINDLING_CUDA_ARCH").unwrap_or_else(|_| "compute_80".to_string());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let kernels = Path::new("kernels");

    let mut sources: Vec<PathBuf> = std::fs::read_dir(kernels)
        .expect("cuda/kernels exists")
        .map(|e| e.expect("readable kernels/ entry").path())
        .collect();
    sources.sort();
    for path in &sources {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for src in sources.iter().filter(|p| p.extension().is_some_and(|e| e == "cu")) {
        let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
        let ptx = out_dir.join(format!("{stem}.ptx"));
        let output = Command::new(&nvcc)
            .arg("-ptx")
            .arg(format!("-arch={arch}"))
            .arg("-O3")
            .arg("-lineinfo")
            .arg("-std=c++17")
            .arg("-I")
            .arg(kernels)
            .arg(src)
            .arg("-o")
            .arg(&ptx)
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}\n\n{HOW_TO_GET_NVCC}", nvcc.display()));
        if !output.status.success() {
            panic!(
                "nvcc failed on {}:\n{}{}",
                src.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
