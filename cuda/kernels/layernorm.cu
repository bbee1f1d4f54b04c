// Layer norm forward over the last axis of [rows, cols]:
//   y = (x - mean) * rstd * gamma + beta,  rstd = 1 / sqrt(var + eps)  (biased variance),
// also writing mean[rows] and rstd[rows], which a backward pass needs.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- layernorm`; figure is
// GB/s, one read and one write of the matrix, against the device-to-device copy):
//
// | version | kernel | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `layernorm_v1_naive` | one thread per row: a pass for the mean, one for the variance, one to write | - (baseline: uncoalesced, one thread does a whole row) | not yet measured on a GPU |
// | v2 warp per row | `layernorm_v2_warp` | a warp per row, coalesced reads; sum and sum of squared deviations reduced with shuffles; the row is re-read from L1/L2 for the later passes | coalesced access, 32x the parallelism per row, no shared memory | not yet measured on a GPU |
#include "common.cuh"

extern "C" __global__ void layernorm_v1_naive(const float* x, const float* gamma, const float* beta, float* y,
                                              float* mean_out, float* rstd_out, int rows, int cols, float eps) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* xr = x + (size_t)r * cols;
    float* yr = y + (size_t)r * cols;
    float sum = 0.0f;
    for (int c = 0; c < cols; ++c) sum += xr[c];
    float mean = sum / cols;
    float var = 0.0f;
    for (int c = 0; c < cols; ++c) {
        float d = xr[c] - mean;
        var += d * d;
    }
    float rstd = rsqrtf(var / cols + eps);
    for (int c = 0; c < cols; ++c) yr[c] = (xr[c] - mean) * rstd * gamma[c] + beta[c];
    mean_out[r] = mean;
    rstd_out[r] = rstd;
}

extern "C" __global__ void layernorm_v2_warp(const float* x, const float* gamma, const float* beta, float* y,
                                             float* mean_out, float* rstd_out, int rows, int cols, float eps) {
    int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
    int lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const float* xr = x + (size_t)r * cols;
    float* yr = y + (size_t)r * cols;
    float sum = 0.0f;
    for (int c = lane; c < cols; c += WARP) sum += xr[c];
    float mean = warp_sum(sum) / cols;
    float var = 0.0f;
    for (int c = lane; c < cols; c += WARP) {
        float d = xr[c] - mean;
        var += d * d;
    }
    float rstd = rsqrtf(warp_sum(var) / cols + eps);
    for (int c = lane; c < cols; c += WARP) yr[c] = (xr[c] - mean) * rstd * gamma[c] + beta[c];
    if (lane == 0) {
        mean_out[r] = mean;
        rstd_out[r] = rstd;
    }
}
