// Helpers shared by every kernel file of the lab. Each .cu file is compiled to its own PTX
// module; every kernel is `extern "C"` so its PTX entry keeps the plain name the Rust side
// looks up.
#pragma once

#define WARP 32
#define FULL_MASK 0xffffffffu

// Sum over the 32 lanes of a warp: after five butterfly steps every lane holds the total.
__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(FULL_MASK, v, offset);
    return v;
}

// Max over the 32 lanes of a warp, every lane gets the result.
__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, offset));
    return v;
}

// Online-softmax state: running maximum `m` and the sum `d` of exp(x - m) seen so far.
// Merging two states rescales the sum with the smaller maximum to the larger one.
struct MaxSum {
    float m;
    float d;
};

__device__ __forceinline__ MaxSum max_sum_merge(MaxSum a, MaxSum b) {
    float m = fmaxf(a.m, b.m);
    if (m == -INFINITY) return MaxSum{m, 0.0f};
    return MaxSum{m, a.d * __expf(a.m - m) + b.d * __expf(b.m - m)};
}

__device__ __forceinline__ MaxSum warp_max_sum(MaxSum s) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        MaxSum o{__shfl_xor_sync(FULL_MASK, s.m, offset), __shfl_xor_sync(FULL_MASK, s.d, offset)};
        s = max_sum_merge(s, o);
    }
    return s;
}

// One pass of online softmax over a row, a warp per row: lane l folds x[l], x[l + 32], ...
// into its own (max, sum), rescaling its sum whenever its max grows; then the warp merges.
__device__ __forceinline__ MaxSum row_max_sum_warp(const float* x, int cols, int lane) {
    MaxSum s{-INFINITY, 0.0f};
    for (int c = lane; c < cols; c += WARP) {
        float v = x[c];
        if (v > s.m) {
            s.d = s.d * __expf(s.m - v) + 1.0f;
            s.m = v;
        } else {
            s.d += __expf(v - s.m);
        }
    }
    return warp_max_sum(s);
}
