// Softmax and log-softmax over the last axis of a row-major [rows, cols] matrix.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- softmax`; figure is GB/s,
// one read and one write of the matrix, against the device-to-device copy):
//
// | version | kernels | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `softmax_v1_naive`, `log_softmax_v1_naive` | one thread per row, three passes over the row (max, sum of exp, write) | - (baseline: neighbouring threads read addresses `cols` apart, nothing coalesces; few threads when rows are few) | not yet measured on a GPU |
// | v2 online, warp per row | `softmax_v2_online_warp`, `log_softmax_v2_online_warp` | a warp per row; each lane keeps a running (max, sum) pair, rescaling the sum when the max grows (online softmax), so one read pass finds both; the lanes' pairs merge by shuffles; a second pass writes | lanes read consecutive addresses (coalesced), two passes over memory instead of three, no shared memory | not yet measured on a GPU |
#include "common.cuh"

template <bool LOG>
__device__ void softmax_row_naive(const float* x, float* y, int cols) {
    float m = -INFINITY;
    for (int c = 0; c < cols; ++c) m = fmaxf(m, x[c]);
    float d = 0.0f;
    for (int c = 0; c < cols; ++c) d += expf(x[c] - m);
    if (LOG) {
        float log_d = logf(d);
        for (int c = 0; c < cols; ++c) y[c] = x[c] - m - log_d;
    } else {
        for (int c = 0; c < cols; ++c) y[c] = expf(x[c] - m) / d;
    }
}

extern "C" __global__ void softmax_v1_naive(const float* x, float* y, int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows) softmax_row_naive<false>(x + (size_t)r * cols, y + (size_t)r * cols, cols);
}

extern "C" __global__ void log_softmax_v1_naive(const float* x, float* y, int rows, int cols) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows) softmax_row_naive<true>(x + (size_t)r * cols, y + (size_t)r * cols, cols);
}

// One warp per row; blockDim.x is a multiple of 32 and row = global warp index.
template <bool LOG>
__device__ void softmax_row_warp(const float* x, float* y, int rows, int cols) {
    int warps_per_block = blockDim.x / WARP;
    int r = blockIdx.x * warps_per_block + threadIdx.x / WARP;
    int lane = threadIdx.x % WARP;
    if (r >= rows) return;  // the whole warp leaves together
    x += (size_t)r * cols;
    y += (size_t)r * cols;
    MaxSum s = row_max_sum_warp(x, cols, lane);
    if (LOG) {
        float shift = s.m + __logf(s.d);
        for (int c = lane; c < cols; c += WARP) y[c] = x[c] - shift;
    } else {
        float inv = 1.0f / s.d;
        for (int c = lane; c < cols; c += WARP) y[c] = __expf(x[c] - s.m) * inv;
    }
}

extern "C" __global__ void softmax_v2_online_warp(const float* x, float* y, int rows, int cols) {
    softmax_row_warp<false>(x, y, rows, cols);
}

extern "C" __global__ void log_softmax_v2_online_warp(const float* x, float* y, int rows, int cols) {
    softmax_row_warp<true>(x, y, rows, cols);
}
