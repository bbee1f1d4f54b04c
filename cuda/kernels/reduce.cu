// Reductions: the sum of n floats into one (`out` must hold 0 before the launch; the Rust side
// clears it). Three versions, the classic ladder.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- reduce`; figure is GB/s
// read, against the device-to-device copy):
//
// | version | kernel | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 atomics | `sum_v1_atomic` | every thread `atomicAdd`s its element into the result | - (baseline: n atomics on one address serialise in L2) | not yet measured on a GPU |
// | v2 shared tree | `sum_v2_shared_tree` | grid-stride loop into a per-thread partial, then a tree in shared memory (halving strides, `__syncthreads` between levels), one atomic per block | atomics drop from n to the number of blocks; the grid is sized to fill the GPU, not to n | not yet measured on a GPU |
// | v3 warp shuffle | `sum_v3_warp_shuffle` | `float4` loads in the grid-stride loop, the block reduction done in registers with `__shfl_xor_sync` (one shared slot per warp, two barriers instead of log2(block)) | vector loads, no shared-memory traffic or barriers per level | not yet measured on a GPU |
#include "common.cuh"

extern "C" __global__ void fill_f32(float* out, float value, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = value;
}

extern "C" __global__ void sum_v1_atomic(const float* x, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) atomicAdd(out, x[i]);
}

// blockDim.x must be a power of two, at most 1024.
extern "C" __global__ void sum_v2_shared_tree(const float* x, float* out, int n) {
    __shared__ float partial[1024];
    float acc = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) acc += x[i];
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(out, partial[0]);
}

// blockDim.x must be a multiple of 32, at most 1024.
extern "C" __global__ void sum_v3_warp_shuffle(const float* x, float* out, int n) {
    __shared__ float warp_sums[32];
    float acc = 0.0f;
    int n4 = n / 4;
    int stride = gridDim.x * blockDim.x;
    int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    for (int i = tid; i < n4; i += stride) {
        float4 v = x4[i];
        acc += (v.x + v.y) + (v.z + v.w);
    }
    for (int i = n4 * 4 + tid; i < n; i += stride) acc += x[i];
    acc = warp_sum(acc);
    int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    if (lane == 0) warp_sums[warp] = acc;
    __syncthreads();
    if (warp == 0) {
        int warps = blockDim.x / WARP;
        float v = lane < warps ? warp_sums[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0) atomicAdd(out, v);
    }
}
