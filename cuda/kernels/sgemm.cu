// SGEMM: C[M, N] = A[M, K] . B[K, N], every matrix row-major and densely packed, FP32.
// Any M, N, K >= 1: tiles that run past an edge load zeros and skip their stores.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- sgemm`, 4096^3 unless
// noted; figure is TFLOP/s (2*M*N*K / time) and its share of cuBLAS, from
// `python3 cuda/benches/torch_reference.py` on the same GPU):
//
// | version | kernels | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 naive | `sgemm_v1_naive` | one thread per element of C, a K-long dot product straight from global memory; block (bx, by) chosen at launch | - (baseline: every multiply-add loads two floats; A's loads are strided across the warp) | not yet measured on a GPU |
// | v2 shared-memory tiles | `sgemm_v2_smem_tile16`, `sgemm_v2_smem_tile32` | a T x T block stages T x T tiles of A and B in shared memory, then each thread runs its dot product over the tile | every global load is reused T times from shared memory | not yet measured on a GPU |
// | v3 2-D register blocking | `sgemm_v3_reg_tile64`, `sgemm_v3_reg_tile128` | a block computes a 64x64 (128x128) tile with 256 threads, each thread a 4x4 (8x8) patch of C in registers; A is stored transposed in shared memory | per k step a thread loads TM + TN values from shared memory and does TM x TN FMAs (4 or 8 FMAs per load instead of 1/2) | not yet measured on a GPU |
// | v4 vectorized + double buffered | `sgemm_v4_vec_dbuf` | 128x128x8 tiles; `float4` global loads (when K and N are multiples of 4, scalar otherwise), `float4` shared-memory reads from a conflict-free split 2x(4x4) thread patch, two shared buffers so the next tile's global loads are in flight while this tile is computed | fewer load instructions, no bank conflicts, memory latency hidden behind FMAs; one barrier per tile | not yet measured on a GPU |
// | v5 tensor cores, TF32 | `sgemm_v5_tf32_mma` | 128x128x16 tiles, 8 warps each owning a 64x32 patch; operands rounded to TF32 (`cvt.rna.tf32.f32`) on their way into shared memory and multiplied by `mma.sync.m16n8k8` with FP32 accumulation; double buffered like v4; padded shared rows make every fragment load conflict-free | tensor cores: 8x the FP32 FMA throughput per SM on Ampere/Hopper; precision is TF32 (10-bit mantissa) on inputs, FP32 sums | not yet measured on a GPU |
//
// The tensor-core path uses inline PTX rather than `<mma.h>` (wmma): that header pulls in
// `cuda_fp16.h` -> `<nv/target>` (CCCL), which the pinned PyPI packages do not ship, and the
// explicit fragment layout is the better lesson anyway.
#include "common.cuh"

extern "C" __global__ void sgemm_v1_naive(const float* A, const float* B, float* C, int M, int N, int K) {
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    int row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= M || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[(size_t)row * K + k] * B[(size_t)k * N + col];
    C[(size_t)row * N + col] = acc;
}

// ---- v2: shared-memory tiles, block = T x T threads ----
template <int T>
__device__ void sgemm_smem(const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ float As[T][T];
    __shared__ float Bs[T][T];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * T + ty, col = blockIdx.x * T + tx;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += T) {
        As[ty][tx] = (row < M && k0 + tx < K) ? A[(size_t)row * K + k0 + tx] : 0.0f;
        Bs[ty][tx] = (k0 + ty < K && col < N) ? B[(size_t)(k0 + ty) * N + col] : 0.0f;
        __syncthreads();
#pragma unroll
        for (int k = 0; k < T; ++k) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N) C[(size_t)row * N + col] = acc;
}

extern "C" __global__ void sgemm_v2_smem_tile16(const float* A, const float* B, float* C, int M, int N, int K) {
    sgemm_smem<16>(A, B, C, M, N, K);
}

extern "C" __global__ void sgemm_v2_smem_tile32(const float* A, const float* B, float* C, int M, int N, int K) {
    sgemm_smem<32>(A, B, C, M, N, K);
}

// ---- v3: 2-D register blocking, 1-D block of (BM/TM)*(BN/TN) threads ----
template <int BM, int BN, int BK, int TM, int TN>
__device__ void sgemm_reg(const float* A, const float* B, float* C, int M, int N, int K) {
    constexpr int THREADS = (BM / TM) * (BN / TN);
    __shared__ float As[BK][BM + 4];  // transposed: As[k][m]; +4 spreads the transposed stores over banks
    __shared__ float Bs[BK][BN];
    int tid = threadIdx.x;
    int tx = tid % (BN / TN), ty = tid / (BN / TN);
    int bm = blockIdx.y * BM, bn = blockIdx.x * BN;
    float acc[TM][TN] = {};
    float a_frag[TM], b_frag[TN];
    for (int k0 = 0; k0 < K; k0 += BK) {
        for (int e = tid; e < BM * BK; e += THREADS) {
            int m = e / BK, k = e % BK;
            int gm = bm + m, gk = k0 + k;
            As[k][m] = (gm < M && gk < K) ? A[(size_t)gm * K + gk] : 0.0f;
        }
        for (int e = tid; e < BK * BN; e += THREADS) {
            int k = e / BN, n = e % BN;
            int gk = k0 + k, gn = bn + n;
            Bs[k][n] = (gk < K && gn < N) ? B[(size_t)gk * N + gn] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; ++k) {
#pragma unroll
            for (int i = 0; i < TM; ++i) a_frag[i] = As[k][ty * TM + i];
#pragma unroll
            for (int j = 0; j < TN; ++j) b_frag[j] = Bs[k][tx * TN + j];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] += a_frag[i] * b_frag[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        int r = bm + ty * TM + i;
        if (r >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            int c = bn + tx * TN + j;
            if (c < N) C[(size_t)r * N + c] = acc[i][j];
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) sgemm_v3_reg_tile64(const float* A, const float* B, float* C, int M, int N, int K) {
    sgemm_reg<64, 64, 8, 4, 4>(A, B, C, M, N, K);
}

extern "C" __global__ void __launch_bounds__(256) sgemm_v3_reg_tile128(const float* A, const float* B, float* C, int M, int N, int K) {
    sgemm_reg<128, 128, 8, 8, 8>(A, B, C, M, N, K);
}

// ---- v4: float4 loads, conflict-free float4 shared reads, double buffering ----
// 256 threads; thread (tx, ty) = (tid % 16, tid / 16) owns rows {ty*4 + i, 64 + ty*4 + i} and
// columns {tx*4 + j, 64 + tx*4 + j} for i, j in 0..4 (a split 8x8 patch).
#define V4_BM 128
#define V4_BN 128
#define V4_BK 8
#define V4_PAD 4

extern "C" __global__ void __launch_bounds__(256) sgemm_v4_vec_dbuf(const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ __align__(16) float As[2][V4_BK][V4_BM + V4_PAD];
    __shared__ __align__(16) float Bs[2][V4_BK][V4_BN];
    int tid = threadIdx.x;
    int tx = tid % 16, ty = tid / 16;
    int bm = blockIdx.y * V4_BM, bn = blockIdx.x * V4_BN;
    bool vec_a = (K % 4) == 0, vec_b = (N % 4) == 0;

    // What each thread copies per tile: 4 consecutive k of one A row, 4 consecutive n of one B row.
    int a_m = tid / 2, a_k = (tid % 2) * 4;
    int b_k = tid / 32, b_n = (tid % 32) * 4;
    float a_ld[4], b_ld[4];

    auto load_tiles = [&](int k0) {
        int gm = bm + a_m, gk = k0 + a_k;
        if (vec_a && gm < M && gk + 3 < K) {
            float4 v = *reinterpret_cast<const float4*>(A + (size_t)gm * K + gk);
            a_ld[0] = v.x; a_ld[1] = v.y; a_ld[2] = v.z; a_ld[3] = v.w;
        } else {
#pragma unroll
            for (int i = 0; i < 4; ++i) a_ld[i] = (gm < M && gk + i < K) ? A[(size_t)gm * K + gk + i] : 0.0f;
        }
        int bk = k0 + b_k, gn = bn + b_n;
        if (vec_b && bk < K && gn + 3 < N) {
            float4 v = *reinterpret_cast<const float4*>(B + (size_t)bk * N + gn);
            b_ld[0] = v.x; b_ld[1] = v.y; b_ld[2] = v.z; b_ld[3] = v.w;
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) b_ld[j] = (bk < K && gn + j < N) ? B[(size_t)bk * N + gn + j] : 0.0f;
        }
    };
    auto store_tiles = [&](int buf) {
#pragma unroll
        for (int i = 0; i < 4; ++i) As[buf][a_k + i][a_m] = a_ld[i];
        *reinterpret_cast<float4*>(&Bs[buf][b_k][b_n]) = make_float4(b_ld[0], b_ld[1], b_ld[2], b_ld[3]);
    };

    float acc[8][8] = {};
    load_tiles(0);
    store_tiles(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < K; k0 += V4_BK) {
        bool has_next = k0 + V4_BK < K;
        if (has_next) load_tiles(k0 + V4_BK);  // in flight while we compute
#pragma unroll
        for (int k = 0; k < V4_BK; ++k) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[i][j] += a[i] * b[j];
        }
        if (has_next) store_tiles(buf ^ 1);
        __syncthreads();
        buf ^= 1;
    }

#pragma unroll
    for (int i = 0; i < 8; ++i) {
        int r = bm + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        if (r >= M) continue;
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            int c = bn + half * 64 + tx * 4;
            float* dst = C + (size_t)r * N + c;
            if (vec_b && c + 3 < N) {
                *reinterpret_cast<float4*>(dst) =
                    make_float4(acc[i][half * 4], acc[i][half * 4 + 1], acc[i][half * 4 + 2], acc[i][half * 4 + 3]);
            } else {
#pragma unroll
                for (int j = 0; j < 4; ++j)
                    if (c + j < N) dst[j] = acc[i][half * 4 + j];
            }
        }
    }
}

// ---- v5: TF32 tensor cores through mma.sync.m16n8k8 ----
#define V5_BM 128
#define V5_BN 128
#define V5_BK 16
#define V5_APAD 4  // row stride 20 words: the 32 lanes' A-fragment loads hit 32 distinct banks
#define V5_BPAD 8  // row stride 136 words: same for B fragments

__device__ __forceinline__ unsigned to_tf32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

// d += a . b for one 16x8x8 tile. Fragment ownership, with g = lane / 4 and t = lane % 4:
// a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4); b0 (k=t, n=g), b1 (k=t+4, n=g);
// d0 (g, 2t), d1 (g, 2t+1), d2 (g+8, 2t), d3 (g+8, 2t+1).
__device__ __forceinline__ void mma_tf32(float* d, const unsigned* a, const unsigned* b) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

extern "C" __global__ void __launch_bounds__(256) sgemm_v5_tf32_mma(const float* A, const float* B, float* C, int M, int N, int K) {
    __shared__ __align__(16) unsigned As[2][V5_BM][V5_BK + V5_APAD];
    __shared__ __align__(16) unsigned Bs[2][V5_BK][V5_BN + V5_BPAD];
    int tid = threadIdx.x;
    int warp = tid / WARP, lane = tid % WARP;
    int g = lane / 4, t = lane % 4;
    int warp_m = (warp / 4) * 64, warp_n = (warp % 4) * 32;  // 2 x 4 warps, 64 x 32 each
    int bm = blockIdx.y * V5_BM, bn = blockIdx.x * V5_BN;
    bool vec_a = (K % 4) == 0, vec_b = (N % 4) == 0;

    // Each thread copies two float4 of A (rows a_m, a_m + 64) and two of B (rows b_k, b_k + 8).
    int a_m = tid / 4, a_k = (tid % 4) * 4;
    int b_k = tid / 32, b_n = (tid % 32) * 4;
    float a_ld[2][4], b_ld[2][4];

    auto load_tiles = [&](int k0) {
#pragma unroll
        for (int q = 0; q < 2; ++q) {
            int gm = bm + a_m + q * 64, gk = k0 + a_k;
            if (vec_a && gm < M && gk + 3 < K) {
                float4 v = *reinterpret_cast<const float4*>(A + (size_t)gm * K + gk);
                a_ld[q][0] = v.x; a_ld[q][1] = v.y; a_ld[q][2] = v.z; a_ld[q][3] = v.w;
            } else {
#pragma unroll
                for (int i = 0; i < 4; ++i) a_ld[q][i] = (gm < M && gk + i < K) ? A[(size_t)gm * K + gk + i] : 0.0f;
            }
            int gkb = k0 + b_k + q * 8, gn = bn + b_n;
            if (vec_b && gkb < K && gn + 3 < N) {
                float4 v = *reinterpret_cast<const float4*>(B + (size_t)gkb * N + gn);
                b_ld[q][0] = v.x; b_ld[q][1] = v.y; b_ld[q][2] = v.z; b_ld[q][3] = v.w;
            } else {
#pragma unroll
                for (int j = 0; j < 4; ++j) b_ld[q][j] = (gkb < K && gn + j < N) ? B[(size_t)gkb * N + gn + j] : 0.0f;
            }
        }
    };
    auto store_tiles = [&](int buf) {
#pragma unroll
        for (int q = 0; q < 2; ++q) {
            *reinterpret_cast<uint4*>(&As[buf][a_m + q * 64][a_k]) =
                make_uint4(to_tf32(a_ld[q][0]), to_tf32(a_ld[q][1]), to_tf32(a_ld[q][2]), to_tf32(a_ld[q][3]));
            *reinterpret_cast<uint4*>(&Bs[buf][b_k + q * 8][b_n]) =
                make_uint4(to_tf32(b_ld[q][0]), to_tf32(b_ld[q][1]), to_tf32(b_ld[q][2]), to_tf32(b_ld[q][3]));
        }
    };

    float acc[4][4][4] = {};  // [m16 tile][n8 tile][fragment register]
    load_tiles(0);
    store_tiles(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < K; k0 += V5_BK) {
        bool has_next = k0 + V5_BK < K;
        if (has_next) load_tiles(k0 + V5_BK);
#pragma unroll
        for (int ks = 0; ks < V5_BK; ks += 8) {
            unsigned a[4][4], b[4][2];
#pragma unroll
            for (int mi = 0; mi < 4; ++mi) {
                int r = warp_m + mi * 16 + g;
                a[mi][0] = As[buf][r][ks + t];
                a[mi][1] = As[buf][r + 8][ks + t];
                a[mi][2] = As[buf][r][ks + t + 4];
                a[mi][3] = As[buf][r + 8][ks + t + 4];
            }
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {
                int c = warp_n + ni * 8 + g;
                b[ni][0] = Bs[buf][ks + t][c];
                b[ni][1] = Bs[buf][ks + t + 4][c];
            }
#pragma unroll
            for (int mi = 0; mi < 4; ++mi)
#pragma unroll
                for (int ni = 0; ni < 4; ++ni) mma_tf32(acc[mi][ni], a[mi], b[ni]);
        }
        if (has_next) store_tiles(buf ^ 1);
        __syncthreads();
        buf ^= 1;
    }

#pragma unroll
    for (int mi = 0; mi < 4; ++mi) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            int r = bm + warp_m + mi * 16 + g + half * 8;
            if (r >= M) continue;
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {
                int c = bn + warp_n + ni * 8 + 2 * t;
                float* dst = C + (size_t)r * N + c;
                float v0 = acc[mi][ni][half * 2], v1 = acc[mi][ni][half * 2 + 1];
                if ((N % 2) == 0 && c + 1 < N) {
                    *reinterpret_cast<float2*>(dst) = make_float2(v0, v1);
                } else {
                    if (c < N) dst[0] = v0;
                    if (c + 1 < N) dst[1] = v1;
                }
            }
        }
    }
}
