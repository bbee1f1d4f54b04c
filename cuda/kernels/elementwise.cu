// Elementwise and broadcasting binary operations: out = a (op) b.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- elementwise`; figures are
// GB/s of useful traffic, 3 x 4 bytes per element, against the device-to-device copy):
//
// | version | kernel | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `binary_v1_naive` | one thread per element | - (baseline) | not yet measured on a GPU |
// | v2 float4 | `binary_v2_float4` | each thread loads and stores four elements as one 16-byte `float4`, a scalar tail covers n % 4 | a quarter of the memory instructions, full 128-byte transactions per warp | not yet measured on a GPU |
// | broadcast v1 naive | `broadcast_v1_naive` | general 4-D broadcast: per element, the output index is split into coordinates and each input is addressed through its strides (stride 0 on a broadcast axis) | - (baseline) | not yet measured on a GPU |
// | broadcast v2 rows | `broadcast_v2_rows_float4` | the common case `a[rows, cols] (op) b[cols]`: a 2-D grid, no index division, `float4` along the row when cols % 4 == 0 | no div/mod per element, vector loads, `b` stays in L1/L2 | not yet measured on a GPU |
//
// Op codes: 0 add, 1 sub, 2 mul, 3 div (`BinaryOp` on the Rust side).
#include "common.cuh"

__device__ __forceinline__ float apply_op(int op, float x, float y) {
    switch (op) {
        case 0: return x + y;
        case 1: return x - y;
        case 2: return x * y;
        default: return x / y;
    }
}

extern "C" __global__ void binary_v1_naive(const float* a, const float* b, float* out, int n, int op) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = apply_op(op, a[i], b[i]);
}

// Thread t owns elements 4t .. 4t+3. Buffers from cuMemAlloc are 256-byte aligned, so 4t is
// 16-byte aligned; the last thread, when n % 4 != 0, falls back to scalar code.
extern "C" __global__ void binary_v2_float4(const float* a, const float* b, float* out, int n, int op) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int i = t * 4;
    if (i + 3 < n) {
        float4 x = reinterpret_cast<const float4*>(a)[t];
        float4 y = reinterpret_cast<const float4*>(b)[t];
        float4 r;
        r.x = apply_op(op, x.x, y.x);
        r.y = apply_op(op, x.y, y.y);
        r.z = apply_op(op, x.z, y.z);
        r.w = apply_op(op, x.w, y.w);
        reinterpret_cast<float4*>(out)[t] = r;
    } else {
        for (; i < n; ++i) out[i] = apply_op(op, a[i], b[i]);
    }
}

// Shape and strides of a broadcast, padded to four dimensions on the left (size 1).
struct Broadcast4 {
    int dims[4];
    int a_strides[4];
    int b_strides[4];
};

extern "C" __global__ void broadcast_v1_naive(const float* a, const float* b, float* out, Broadcast4 s, int n, int op) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int rest = i;
    int ia = 0, ib = 0;
    for (int d = 3; d >= 0; --d) {
        int c = rest % s.dims[d];
        rest /= s.dims[d];
        ia += c * s.a_strides[d];
        ib += c * s.b_strides[d];
    }
    out[i] = apply_op(op, a[ia], b[ib]);
}

// out[r, c] = a[r, c] (op) b[c]; blockIdx.y walks rows, x covers columns (4 per thread when
// every row starts 16-byte aligned, that is cols % 4 == 0).
extern "C" __global__ void broadcast_v2_rows_float4(const float* a, const float* b, float* out, int rows, int cols, int op) {
    int r = blockIdx.y;
    if (r >= rows) return;
    const float* arow = a + (size_t)r * cols;
    float* orow = out + (size_t)r * cols;
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if ((cols & 3) == 0) {
        if (t * 4 < cols) {
            float4 x = reinterpret_cast<const float4*>(arow)[t];
            float4 y = reinterpret_cast<const float4*>(b)[t];
            float4 v;
            v.x = apply_op(op, x.x, y.x);
            v.y = apply_op(op, x.y, y.y);
            v.z = apply_op(op, x.z, y.z);
            v.w = apply_op(op, x.w, y.w);
            reinterpret_cast<float4*>(orow)[t] = v;
        }
    } else {
        for (int c = t * 4; c < cols && c < t * 4 + 4; ++c) orow[c] = apply_op(op, arow[c], b[c]);
    }
}
