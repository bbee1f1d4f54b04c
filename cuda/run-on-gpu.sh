#!/usr/bin/env bash
# Build the lab's test and bench binaries here (a CPU machine with the toolchain), then run them
# on a GPU machine, which may have no Rust toolchain.
#
#   bash cuda/run-on-gpu.sh build            # here: builds into cuda/gpu-bundle/
#   (copy cuda/gpu-bundle/ to the GPU machine, e.g. with scp -r)
#   bash gpu-bundle/run-on-gpu.sh run        # there: tests (a skip is a failure), bench, torch
#
# The binaries link libcuda.so.1 dynamically with no rpath, so on the GPU machine they load
# that machine's own driver library; never copy or point LD_LIBRARY_PATH at the unpacked
# Debian libcuda from .ci/cuda-setup there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

case "${1:-}" in
build)
    cd "$here/.."
    # shellcheck source=/dev/null
    source .ci/cuda-setup
    out="$here/gpu-bundle"
    rm -rf "$out"
    mkdir -p "$out"
    manifest=cuda/Cargo.toml
    # Test binaries: ask cargo for their paths.
    cargo test --manifest-path "$manifest" --release --no-run --message-format=json 2>/dev/null \
        | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])
' | while read -r exe; do cp "$exe" "$out/test-$(basename "$exe" | sed 's/-[0-9a-f]*$//')"; done
    cargo build --manifest-path "$manifest" --release --bin cuda-bench
    target="$(cargo metadata --manifest-path "$manifest" --format-version 1 --no-deps \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    cp "$target/release/cuda-bench" "$out/"
    cp "$here/benches/torch_reference.py" "$here/run-on-gpu.sh" "$out/"
    echo "bundle ready: $out"
    ls -l "$out"
    for f in "$out"/cuda-bench "$out"/test-*; do
        if readelf -d "$f" | grep -qE 'RPATH|RUNPATH'; then
            echo "error: $f has an rpath; it must load the GPU machine's own libcuda.so.1" >&2
            exit 1
        fi
    done
    ;;
run)
    cd "$here"
    unset CUDA_LIBRARY_PATH
    nvidia-smi || true
    log="$here/results-$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$log"
    status=0
    for t in ./test-*; do
        echo "== $t"
        KINDLING_REQUIRE_GPU=1 "$t" --test-threads=1 2>&1 | tee "$log/$(basename "$t").txt" || status=1
    done
    ./cuda-bench "${@:2}" 2>&1 | tee "$log/cuda-bench.txt" || status=1
    if python3 -c 'import torch' 2>/dev/null; then
        python3 torch_reference.py --compare "$log/cuda-bench.txt" 2>&1 | tee "$log/torch_reference.txt" || status=1
    else
        echo "no PyTorch here: skipping torch_reference.py"
    fi
    echo "results in $log"
    exit "$status"
    ;;
*)
    echo "usage: $0 build   (on the build machine)  |  $0 run [FAMILY...]   (on the GPU machine)" >&2
    exit 1
    ;;
esac
