//! The f64 functions, the twins of `float32.rs` with longer polynomials (Taylor series for exp,
//! Chebyshev fits for erf): what gradient checks compute with.

/// `1.5 * 2^52`, the f64 twin of `ROUND_F32`.
const ROUND_F64: f64 = 6_755_399_441_055_744.0;
/// ln 2 split so that `n * LN2_HI_F64` is exact for |n| < 2^11 (the high part has 32 bits).
const LN2_HI_F64: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO_F64: f64 = 1.908_214_929_270_587_7e-10;
/// `1/k!` for k = 13 down to 2.
const EXP_TAYLOR_F64: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
];

#[inline(always)]
fn reduce_ln2_f64(x: f64) -> (i64, f64) {
    let t = x.mul_add(std::f64::consts::LOG2_E, ROUND_F64);
    let n = t - ROUND_F64;
    let ni = (t.to_bits() as i64).wrapping_sub(ROUND_F64.to_bits() as i64);
    (ni, (-n).mul_add(LN2_LO_F64, (-n).mul_add(LN2_HI_F64, x)))
}

#[inline(always)]
fn pow2i_f64(n: i64) -> f64 {
    f64::from_bits((n.wrapping_add(1023) as u64) << 52)
}

/// e^x for f64; same recipe as [`exp_f32`](super::exp_f32).
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    const HI: f64 = 710.0;
    const LO: f64 = -746.0;
    let x = if x > HI { HI } else { x };
    let x = if x < LO { LO } else { x };
    let (n, r) = reduce_ln2_f64(x);
    let p = 1.0 + (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let half = n >> 1;
    p * pow2i_f64(half) * pow2i_f64(n.wrapping_sub(half))
}

/// e^x for x <= 0, subnormal results included (like `f64::exp`, so fast and naive softmax
/// agree on tiny terms). The scale 2^n is added straight into p's exponent bits (one integer
/// add instead of two multiplies); to keep that exponent normal for n down to -1075 it is
/// added as 2^(n + 64), and one multiply by 2^-64 then rounds into the subnormal range once.
#[inline(always)]
pub fn exp_nonpos_f64(x: f64) -> f64 {
    // e^-746 is below half the smallest subnormal: every x below it gives 0.
    const LO: f64 = -746.0;
    const BIAS: i64 = 64;
    const UNBIAS: f64 = 1.0 / 18_446_744_073_709_551_616.0; // 2^-64
    let xc = if x < LO { LO } else { x };
    let (n, r) = reduce_ln2_f64(xc);
    let p = 1.0 + (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let y = f64::from_bits(p.to_bits().wrapping_add(((n + BIAS) as u64) << 52)) * UNBIAS;
    // A NaN's payload bits went through the rounding trick into `n`; adding that to the
    // exponent can turn the NaN into a number, so NaN is passed through explicitly.
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// The lane constants of [`exp_rel_f64`]: the shift is the max itself and k is 0.
#[inline(always)]
pub fn exp_rel_consts_f64(max: f64) -> (f64, f64) {
    (max, 0.0)
}

/// Softmax's exponential in f64: e^(x - max), within 1 ulp of [`exp_f64`].
#[inline(always)]
pub fn exp_rel_f64(x: f64, max: f64) -> f64 {
    exp_nonpos_f64(x - max)
}

/// e^x - 1 for `0 <= x <= 40`.
#[inline(always)]
fn expm1_small_pos_f64(x: f64) -> f64 {
    let (n, r) = reduce_ln2_f64(x);
    let pm1 = (r * r).mul_add(horner!(r, EXP_TAYLOR_F64), r);
    let s = pow2i_f64(n);
    s.mul_add(pm1, s - 1.0)
}

/// Natural logarithm for f64; same recipe as [`ln_f32`](super::ln_f32).
#[inline(always)]
pub fn ln_f64(x: f64) -> f64 {
    let tiny = x < f64::MIN_POSITIVE;
    let xs = if tiny { x * 18_014_398_509_481_984.0 } else { x }; // 2^54
    let bias: i64 = if tiny { 54 } else { 0 };
    const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
    let ix = xs.to_bits().wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let k = ((ix >> 52) as i64).wrapping_sub(1023 + bias);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    // 2/(2j+1) for j = 11 down to 1: s² <= 0.0295, so the first omitted term is below 2^-60.
    const ATANH: [f64; 11] = [
        2.0 / 23.0,
        2.0 / 21.0,
        2.0 / 19.0,
        2.0 / 17.0,
        2.0 / 15.0,
        2.0 / 13.0,
        2.0 / 11.0,
        2.0 / 9.0,
        2.0 / 7.0,
        2.0 / 5.0,
        2.0 / 3.0,
    ];
    let rr = z * horner!(z, ATANH);
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    let ln_m = s.mul_add(hfsq + rr, f - hfsq);
    let y = kf.mul_add(LN2_HI_F64, kf.mul_add(LN2_LO_F64, ln_m));
    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == 0.0 { f64::NEG_INFINITY } else { y };
    if x >= 0.0 {
        y
    } else {
        f64::NAN
    }
}

/// ln(1 + x) for f64; same trick as [`ln_1p_f32`](super::ln_1p_f32).
#[inline(always)]
pub fn ln_1p_f64(x: f64) -> f64 {
    let u = 1.0 + x;
    // u - 1 is exact, so c is exactly the part of x that rounding 1 + x lost.
    let c = x - (u - 1.0);
    let y = ln_f64(u) + c / u;
    let y = if u == 1.0 { x } else { y }; // keeps the sign of -0
    let y = if u == 0.0 { f64::NEG_INFINITY } else { y };
    if x == f64::INFINITY {
        x
    } else {
        y
    }
}

/// tanh for f64; same recipe as [`tanh_f32`](super::tanh_f32).
#[inline(always)]
pub fn tanh_f64(x: f64) -> f64 {
    // tanh rounds to 1 beyond 19.06.
    const CLAMP: f64 = 20.0;
    let a = x.abs();
    let a = if a > CLAMP { CLAMP } else { a };
    let e = expm1_small_pos_f64(2.0 * a);
    (e / (e + 2.0)).copysign(x)
}

/// Sigmoid for f64; same formula as [`sigmoid_f32`](super::sigmoid_f32).
#[inline(always)]
pub fn sigmoid_f64(x: f64) -> f64 {
    let e = exp_f64(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// erf(√t)/√t on t ∈ [0, 1] (max abs error 7.4e-18).
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const ERF_SMALL_F64: [f64; 12] = [
    -7.795_898_827_002_142_2e-10,
    1.372_006_454_677_768_6e-8,
    -1.620_848_380_187_170_6e-7,
    1.644_742_470_331_736_2e-6,
    -1.492_473_690_741_966e-5,
    1.205_529_490_483_970_8e-4,
    -8.548_325_975_389_692_1e-4,
    5.223_977_607_116_422_7e-3,
    -2.686_617_064_323_777e-2,
    1.128_379_167_094_500_6e-1,
    -3.761_263_890_318_354e-1,
    1.128_379_167_095_512_6,
];
/// erfc(x) e^{x²} as a polynomial in `1/x - 0.7` for x ∈ [1, 2.5] (max abs error 3.6e-18).
#[allow(clippy::excessive_precision)]
const ERFC_MID_F64: [f64; 19] = [
    1.100_250_081_316_903_9e-2,
    -1.203_731_532_175_998_2e-2,
    5.717_547_084_768_154_7e-3,
    -1.106_338_664_352_077_1e-3,
    -3.442_658_444_106_550_9e-3,
    8.423_621_185_485_015_1e-3,
    -1.204_097_551_895_163_5e-2,
    1.281_934_294_522_218_8e-2,
    -9.741_409_210_082_594_8e-3,
    2.362_181_580_670_405_2e-3,
    8.710_050_619_651_442_1e-3,
    -2.127_050_392_194_209_8e-2,
    3.092_228_432_658_018_5e-2,
    -3.042_132_799_159_195_5e-2,
    8.978_828_316_126_610_6e-3,
    4.845_973_249_325_099e-2,
    -1.619_384_521_904_336_9e-1,
    3.571_956_614_692_073_1e-1,
    3.336_736_525_414_603_1e-1,
];
/// erfc(x) e^{x²} as a polynomial in `1/x - 0.28333...` for x ∈ [2.5, 6] (max abs error 4e-16,
/// which erfc's small size there turns into less than 2^-60 of erf).
#[allow(clippy::excessive_precision)]
const ERFC_TAIL_F64: [f64; 13] = [
    7.465_998_231_599_667_8e-1,
    -1.232_446_075_371_840_9,
    7.014_463_357_051_728_4e-1,
    -2.153_700_023_031_396_3e-2,
    -3.243_908_649_245_216e-1,
    3.046_130_834_286_389_7e-1,
    -8.909_302_042_517_603_7e-2,
    -1.218_647_121_191_307_5e-1,
    1.940_881_120_157_445_7e-1,
    -8.575_536_985_404_178_1e-2,
    -1.713_061_466_883_028_6e-1,
    5.070_310_199_784_643_8e-1,
    1.540_874_111_691_921_9e-1,
];

/// erf for f64: three branches (|x| < 1, [1, 2.5), [2.5, 6]), all computed, one selected.
#[inline(always)]
pub fn erf_f64(x: f64) -> f64 {
    #[allow(clippy::excessive_precision)]
    const TAIL_CENTRE: f64 = 0.283_333_333_333_333_34;
    let a = x.abs();
    let small = a * horner!(a * a, ERF_SMALL_F64);
    // erf rounds to 1 beyond 5.93.
    let b = if a < 1.0 { 1.0 } else { a };
    let b = if b > 6.0 { 6.0 } else { b };
    let u = 1.0 / b;
    let mid = horner!(u - 0.7, ERFC_MID_F64);
    let tail = horner!(u - TAIL_CENTRE, ERFC_TAIL_F64);
    let h = if b < 2.5 { mid } else { tail };
    let large = (-exp_f64(-(b * b))).mul_add(h, 1.0);
    let y = if a < 1.0 { small } else { large };
    y.copysign(x)
}
