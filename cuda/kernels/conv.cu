// 2-D convolution (cross-correlation, as in deep learning), NCHW:
//   x [N, C, H, W], w [OC, C, KH, KW] -> y [N, OC, OH, OW],
//   OH = (H + 2*pad - KH) / stride + 1, OW likewise; zero padding.
//
// Version catalogue (bench: `cargo run --release --bin cuda-bench -- conv`; figure is TFLOP/s,
// 2*N*OC*OH*OW*C*KH*KW / time):
//
// | version | kernels | what changed | why it is faster | figure |
// |---|---|---|---|---|
// | v1 direct | `conv2d_v1_direct` | one thread per output element, loops over C, KH, KW reading x and w from global memory | - (baseline) | not yet measured on a GPU |
// | v2 im2col + GEMM | `im2col` then any SGEMM version (v4 and v5 in the bench) | per image, unfold the receptive fields into a [C*KH*KW, OH*OW] matrix, then y_n = w[OC, C*KH*KW] . cols | the work becomes one large GEMM, which runs near peak; costs an extra KH*KW-fold copy of the input in memory | not yet measured on a GPU |
#include "common.cuh"

struct ConvShape {
    int n, c, h, w;       // input
    int oc, kh, kw;       // weights
    int stride, pad;
    int oh, ow;           // output
};

extern "C" __global__ void conv2d_v1_direct(const float* x, const float* wt, float* y, ConvShape s) {
    long long total = (long long)s.n * s.oc * s.oh * s.ow;
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int ow = idx % s.ow;
    int oh = (idx / s.ow) % s.oh;
    int oc = (idx / ((long long)s.ow * s.oh)) % s.oc;
    int n = idx / ((long long)s.ow * s.oh * s.oc);
    float acc = 0.0f;
    for (int c = 0; c < s.c; ++c) {
        const float* xc = x + ((size_t)n * s.c + c) * s.h * s.w;
        const float* wc = wt + ((size_t)oc * s.c + c) * s.kh * s.kw;
        for (int i = 0; i < s.kh; ++i) {
            int ih = oh * s.stride - s.pad + i;
            if (ih < 0 || ih >= s.h) continue;
            for (int j = 0; j < s.kw; ++j) {
                int iw = ow * s.stride - s.pad + j;
                if (iw < 0 || iw >= s.w) continue;
                acc += xc[ih * s.w + iw] * wc[i * s.kw + j];
            }
        }
    }
    y[idx] = acc;
}

// One image (x points at image n): cols[(c*KH + i)*KW + j, oh*OW + ow] = x[c, oh*stride - pad + i,
// ow*stride - pad + j], or 0 in the padding. One thread per element of cols; consecutive threads
// walk along a row of cols, so the writes coalesce.
extern "C" __global__ void im2col(const float* x, float* cols, ConvShape s) {
    int spatial = s.oh * s.ow;
    long long total = (long long)s.c * s.kh * s.kw * spatial;
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int col = idx % spatial;
    int row = idx / spatial;
    int j = row % s.kw;
    int i = (row / s.kw) % s.kh;
    int c = row / (s.kw * s.kh);
    int oh = col / s.ow, ow = col % s.ow;
    int ih = oh * s.stride - s.pad + i;
    int iw = ow * s.stride - s.pad + j;
    float v = 0.0f;
    if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) v = x[((size_t)c * s.h + ih) * s.w + iw];
    cols[idx] = v;
}
