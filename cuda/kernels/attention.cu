// Scaled dot-product attention, O = softmax(Q K^T * scale [+ causal mask]) V, for BH = batch x
// heads independent problems; Q, K, V, O are [BH, S, D] row-major.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- attention`; figure is
// TFLOP/s counting 4*BH*S*S*D flops (two GEMMs), causal or not):
//
// | version | kernels | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `attn_v1_scores`, `attn_v1_softmax`, `attn_v1_pv` | three kernels over an [BH, S, S] score matrix in global memory: scores (a thread per score), row softmax (a thread per row), P.V (a thread per output) | - (baseline: S^2 scores written and read back; memory-bound, and S^2 memory) | not yet measured on a GPU |
// | v2 flash (tiled, online softmax) | `attn_v2_flash_w4`, `attn_v2_flash_w8` | a warp per query row, 4 or 8 rows per block; 32-key tiles of K and V staged in shared memory and shared by the block's rows; lane j scores key j, the running (max, sum) is rescaled when the max grows and the output accumulates in registers (D <= 128, 4 values per lane) | the score matrix never touches global memory (O(S) memory instead of O(S^2)); each K/V tile is reused by every row of the block; causal blocks stop at their last row | not yet measured on a GPU |
#include "common.cuh"

extern "C" __global__ void attn_v1_scores(const float* Q, const float* K, float* P, int BH, int S, int D, float scale, int causal) {
    long long total = (long long)BH * S * S;
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int j = idx % S;
    int i = (idx / S) % S;
    int bh = idx / ((long long)S * S);
    if (causal && j > i) {
        P[idx] = -INFINITY;
        return;
    }
    const float* q = Q + ((size_t)bh * S + i) * D;
    const float* k = K + ((size_t)bh * S + j) * D;
    float dot = 0.0f;
    for (int d = 0; d < D; ++d) dot += q[d] * k[d];
    P[idx] = dot * scale;
}

// In place over rows of P; every row has at least one finite entry (the diagonal).
extern "C" __global__ void attn_v1_softmax(float* P, int rows, int S) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float* p = P + (size_t)r * S;
    float m = -INFINITY;
    for (int j = 0; j < S; ++j) m = fmaxf(m, p[j]);
    float sum = 0.0f;
    for (int j = 0; j < S; ++j) {
        float e = expf(p[j] - m);
        p[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < S; ++j) p[j] *= inv;
}

extern "C" __global__ void attn_v1_pv(const float* P, const float* V, float* O, int BH, int S, int D) {
    long long total = (long long)BH * S * D;
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int d = idx % D;
    int i = (idx / D) % S;
    int bh = idx / ((long long)D * S);
    const float* p = P + ((size_t)bh * S + i) * S;
    const float* v = V + (size_t)bh * S * D + d;
    float acc = 0.0f;
    for (int j = 0; j < S; ++j) acc += p[j] * v[(size_t)j * D];
    O[idx] = acc;
}

#define FLASH_BC 32      // keys per tile (one per lane)
#define FLASH_MAXD 128   // head dimension limit: 4 accumulators per lane

// grid (ceil(S / W), BH), block W * 32 threads.
template <int W>
__device__ void attn_flash(const float* Q, const float* K, const float* V, float* O, int S, int D, float scale, int causal) {
    __shared__ float Ks[FLASH_BC][FLASH_MAXD + 1];  // +1: lane j reading Ks[j][d] hits bank (j + d) % 32
    __shared__ float Vs[FLASH_BC][FLASH_MAXD];
    __shared__ float Qs[W][FLASH_MAXD];
    int bh = blockIdx.y;
    int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int i = blockIdx.x * W + warp;
    bool active = i < S;
    size_t base = (size_t)bh * S * D;

    for (int d = lane; d < D; d += WARP) Qs[warp][d] = active ? Q[base + (size_t)i * D + d] * scale : 0.0f;

    float acc[FLASH_MAXD / WARP] = {};
    float m = -INFINITY, l = 0.0f;
    // Keys past the block's last row are masked for every row of the block under causal masking.
    int kv_end = causal ? min(S, (int)(blockIdx.x + 1) * W) : S;
    for (int j0 = 0; j0 < kv_end; j0 += FLASH_BC) {
        __syncthreads();  // the previous tile is consumed (and Qs is visible on the first pass)
        for (int e = threadIdx.x; e < FLASH_BC * D; e += W * WARP) {
            int jj = e / D, d = e % D;
            int j = j0 + jj;
            bool ok = j < S;
            Ks[jj][d] = ok ? K[base + (size_t)j * D + d] : 0.0f;
            Vs[jj][d] = ok ? V[base + (size_t)j * D + d] : 0.0f;
        }
        __syncthreads();

        int j = j0 + lane;
        float s = -INFINITY;
        if (active && j < S && (!causal || j <= i)) {
            float dot = 0.0f;
            for (int d = 0; d < D; ++d) dot += Qs[warp][d] * Ks[lane][d];
            s = dot;
        }
        float m_new = fmaxf(m, warp_max(s));
        float p = (s == -INFINITY) ? 0.0f : __expf(s - m_new);
        float corr = (m == -INFINITY) ? 0.0f : __expf(m - m_new);
        l = l * corr + warp_sum(p);
#pragma unroll
        for (int t = 0; t < FLASH_MAXD / WARP; ++t) acc[t] *= corr;
        for (int jj = 0; jj < FLASH_BC; ++jj) {
            float pj = __shfl_sync(FULL_MASK, p, jj);
#pragma unroll
            for (int t = 0; t < FLASH_MAXD / WARP; ++t) {
                int d = lane + t * WARP;
                if (d < D) acc[t] += pj * Vs[jj][d];
            }
        }
        m = m_new;
    }
    if (!active) return;
    float inv = 1.0f / l;
#pragma unroll
    for (int t = 0; t < FLASH_MAXD / WARP; ++t) {
        int d = lane + t * WARP;
        if (d < D) O[base + (size_t)i * D + d] = acc[t] * inv;
    }
}

extern "C" __global__ void __launch_bounds__(128) attn_v2_flash_w4(const float* Q, const float* K, const float* V, float* O, int S, int D,
                                                                float scale, int causal) {
    attn_flash<4>(Q, K, V, O, S, D, scale, causal);
}

extern "C" __global__ void __launch_bounds__(256) attn_v2_flash_w8(const float* Q, const float* K, const float* V, float* O, int S, int D,
                                                                float scale, int causal) {
    attn_flash<8>(Q, K, V, O, S, D, scale, causal);
}
