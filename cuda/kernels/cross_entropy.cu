// Cross-entropy of logits [rows, classes] against integer targets [rows]:
//   forward   loss[r] = logsumexp(logits[r, :]) - logits[r, target[r]]   (the mean is taken on
//             the host side or by the caller's reduction);
//   backward  dlogits[r, c] = scale * (softmax(logits[r, :])[c] - [c == target[r]]), where
//             scale is d(loss)/d(loss[r]), 1/rows for a mean.
// Targets are checked on the host before launch (a bad label is a programming error).
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- cross_entropy`; figure is
// GB/s of logits read (+ gradient written), against the device-to-device copy):
//
// | version | kernels | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `cross_entropy_fwd_v1_naive`, `cross_entropy_bwd_v1_naive` | one thread per row, separate max and sum passes | - (baseline, uncoalesced) | not yet measured on a GPU |
// | v2 warp per row | `cross_entropy_fwd_v2_warp`, `cross_entropy_bwd_v2_warp` | a warp per row, online (max, sum) in one pass merged with shuffles; backward writes the gradient in a second coalesced pass | coalesced, one pass fewer | not yet measured on a GPU |
#include "common.cuh"

__device__ MaxSum row_max_sum_serial(const float* x, int cols) {
    float m = -INFINITY;
    for (int c = 0; c < cols; ++c) m = fmaxf(m, x[c]);
    float d = 0.0f;
    for (int c = 0; c < cols; ++c) d += expf(x[c] - m);
    return MaxSum{m, d};
}

extern "C" __global__ void cross_entropy_fwd_v1_naive(const float* logits, const int* targets, float* loss, int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* x = logits + (size_t)r * cols;
    MaxSum s = row_max_sum_serial(x, cols);
    loss[r] = s.m + logf(s.d) - x[targets[r]];
}

extern "C" __global__ void cross_entropy_bwd_v1_naive(const float* logits, const int* targets, float* dlogits, float scale,
                                                      int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* x = logits + (size_t)r * cols;
    float* g = dlogits + (size_t)r * cols;
    MaxSum s = row_max_sum_serial(x, cols);
    int t = targets[r];
    for (int c = 0; c < cols; ++c) g[c] = scale * (expf(x[c] - s.m) / s.d - (c == t ? 1.0f : 0.0f));
}

extern "C" __global__ void cross_entropy_fwd_v2_warp(const float* logits, const int* targets, float* loss, int rows, int cols) {
    int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
    int lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const float* x = logits + (size_t)r * cols;
    MaxSum s = row_max_sum_warp(x, cols, lane);
    if (lane == 0) loss[r] = s.m + __logf(s.d) - x[targets[r]];
}

extern "C" __global__ void cross_entropy_bwd_v2_warp(const float* logits, const int* targets, float* dlogits, float scale,
                                                     int rows, int cols) {
    int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
    int lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const float* x = logits + (size_t)r * cols;
    float* g = dlogits + (size_t)r * cols;
    MaxSum s = row_max_sum_warp(x, cols, lane);
    int t = targets[r];
    float inv = 1.0f / s.d;
    for (int c = lane; c < cols; c += WARP) g[c] = scale * (__expf(x[c] - s.m) * inv - (c == t ? 1.0f : 0.0f));
}
