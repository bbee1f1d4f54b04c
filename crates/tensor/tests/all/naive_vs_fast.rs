//! Differential tests: every kernel family's fast path against its naive twin (STYLE.md item
//! 1), on a grid of awkward sizes (1, 7, 63, 65, 257, non-square, batched) and random shapes,
//! with dense and strided inputs, plus one case per family above the threading threshold.
//!
//! Exact ops (add, max, relu, comparisons, arg reductions, integer ops, sums of small
//! integers) must agree bit for bit; the rest within the named tolerance presets.

use kindling_tensor::kernel_api::PARALLEL_MIN_ELEMENTS;
use kindling_tensor::testing::*;
use kindling_tensor::{with_kernel_mode, Axes, DType, Element, Float, KernelMode, Numeric, Rng, Tensor, Tolerance};
use proptest::prelude::*;

/// Runs `f` on the naive kernels and on the fast ones, and compares the fast result with the
/// naive one.
#[track_caller]
fn naive_vs_fast<T: Element>(what: &str, tol: Tolerance, f: impl Fn() -> Tensor<T>) {
    let naive = with_kernel_mode(KernelMode::Naive, &f);
    let fast = with_kernel_mode(KernelMode::Fast, &f);
    check_close(&format!("{what}: fast vs naive"), &fast, &naive, tol);
}

/// The tolerance for a float result that the fast path may compute differently (approximated
/// math, another summation order over lanes of `lane` elements).
fn float_tol<T: Element>(lane: usize) -> Tolerance {
    match T::DTYPE {
        DType::F64 => Tolerance::STRICT,
        _ if lane > 64 => Tolerance::RELAXED,
        _ => Tolerance::DEFAULT,
    }
}

/// The same for reordered sums: in f64 a long reordered sum is not exact to 1e-12 either.
fn sum_tol<T: Element>(lane: usize) -> Tolerance {
    match T::DTYPE {
        DType::F64 if lane > 64 => Tolerance::DEFAULT,
        _ => float_tol::<T>(lane),
    }
}

fn make<T: Element>(shape: &[usize], kind: Kind, rng: &mut Rng, gen: impl FnMut(&mut Rng) -> T) -> Built<T> {
    Plan::new(shape.to_vec(), kind, rng).build_with(rng, gen)
}

/// Just above the threading threshold, with rows of an odd length.
const LARGE: [usize; 2] = [129, 257];

#[test]
fn large_shape_is_above_the_threading_threshold() {
    assert!(LARGE.iter().product::<usize>() > PARALLEL_MIN_ELEMENTS);
}

// ----- unary ---------------------------------------------------------------------------------

type Unary<T> = fn(&Tensor<T>) -> Tensor<T>;

/// Every unary float op with the input range where it is defined (log on positives, ...).
fn unary_ops<T: Float>() -> Vec<(&'static str, Unary<T>, (f64, f64))> {
    vec![
        ("exp", |x| x.exp(), (-20.0, 20.0)),
        ("log", |x| x.log(), (1e-3, 50.0)),
        ("log1p", |x| x.log1p(), (-0.9, 50.0)),
        ("sqrt", |x| x.sqrt(), (0.0, 50.0)),
        ("sin", |x| x.sin(), (-10.0, 10.0)),
        ("cos", |x| x.cos(), (-10.0, 10.0)),
        ("tanh", |x| x.tanh(), (-10.0, 10.0)),
        ("sigmoid", |x| x.sigmoid(), (-20.0, 20.0)),
        ("relu", |x| x.relu(), (-5.0, 5.0)),
        ("erf", |x| x.erf(), (-4.0, 4.0)),
        ("square", |x| x.square(), (-8.0, 8.0)),
        ("recip", |x| x.recip(), (-8.0, 8.0)),
        ("neg", |x| -x, (-8.0, 8.0)),
        ("abs", |x| x.abs(), (-8.0, 8.0)),
        ("sign", |x| x.sign(), (-2.0, 2.0)),
    ]
}

/// Ops whose fast path must give the very same bits.
const EXACT_UNARY: &[&str] = &["relu", "square", "recip", "neg", "abs", "sign", "sqrt"];

fn unary_tol<T: Element>(name: &str) -> Tolerance {
    if EXACT_UNARY.contains(&name) {
        EXACT
    } else {
        float_tol::<T>(1)
    }
}

fn unary_grid<T: Float>(seed: u64) {
    let mut rng = Rng::seed(seed);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            for (name, op, (lo, hi)) in unary_ops::<T>() {
                let x = make(shape, kind, &mut rng, |r| uniform::<T>(r, lo, hi));
                naive_vs_fast(&format!("{name}({x:?})"), unary_tol::<T>(name), || op(&x.t));
            }
        }
    }
}

#[test]
fn unary_f32_on_awkward_shapes_and_layouts() {
    unary_grid::<f32>(1);
}

#[test]
fn unary_f64_on_awkward_shapes_and_layouts() {
    unary_grid::<f64>(2);
}

fn specials<T: Float>() -> Vec<T> {
    let big = if T::DTYPE == DType::F32 { f32::MAX as f64 } else { f64::MAX };
    [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e30,
        -1e30,
        big,
        -big,
        100.0,
        -100.0,
        1.0,
        -1.0,
    ]
    .iter()
    .map(|&v| T::from_f64(v))
    .collect()
}

/// NaN, infinities, signed zeros and huge values go through the special-case handling of
/// the vectorized math; padded to 65 so they also land in the SIMD body, not only the tail.
fn unary_specials<T: Float>() {
    let s = specials::<T>();
    let data: Vec<T> = (0..65).map(|i| s[i % s.len()]).collect();
    let dense = Tensor::from_vec(data.clone(), [65]);
    let strided =
        Tensor::from_vec(data.iter().flat_map(|&v| [v, T::ZERO]).collect::<Vec<T>>(), [130]).slice(0, 0, 130, 2);
    for x in [dense, strided] {
        for (name, op, _) in unary_ops::<T>() {
            naive_vs_fast(&format!("{name} of special values {:?}", x.to_vec()), unary_tol::<T>(name), || op(&x));
        }
    }
}

#[test]
fn unary_special_values_f32() {
    unary_specials::<f32>();
}

#[test]
fn unary_special_values_f64() {
    unary_specials::<f64>();
}

#[test]
fn unary_above_the_threading_threshold() {
    let mut rng = Rng::seed(3);
    for kind in [Kind::Contiguous, Kind::Transposed, Kind::Stepped, Kind::Expanded] {
        for (name, op, (lo, hi)) in unary_ops::<f32>() {
            let x = make(&LARGE, kind, &mut rng, |r| uniform::<f32>(r, lo, hi));
            naive_vs_fast(&format!("{name} of {} {:?}", x.how, x.t.shape()), unary_tol::<f32>(name), || op(&x.t));
        }
    }
}

// ----- binary --------------------------------------------------------------------------------

type Binary<T> = fn(&Tensor<T>, &Tensor<T>) -> Tensor<T>;

fn binary_ops<T: Numeric>() -> Vec<(&'static str, Binary<T>)> {
    vec![
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
        ("rem", |a, b| a % b),
        ("pow", |a, b| a.pow(b)),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
    ]
}

/// Value generators for the left and right operands of `op` in type `T`.
type Gen<T> = fn(&mut Rng) -> T;

fn float_operands<T: Float>(op: &str) -> (Gen<T>, Gen<T>) {
    match op {
        // Positive bases keep pow real.
        "pow" => (|r| uniform(r, 0.1, 4.0), |r| uniform(r, -3.0, 3.0)),
        _ => (|r| uniform(r, -8.0, 8.0), |r| uniform(r, -8.0, 8.0)),
    }
}

fn int_operands(op: &str) -> (Gen<i64>, Gen<i64>) {
    match op {
        // Integer division by zero panics; negative exponents truncate.
        "div" | "rem" => (|r| int(r, -50, 50), |r| int::<i64>(r, 1, 9) * if r.below(2) == 0 { 1 } else { -1 }),
        "pow" => (|r| int(r, -4, 4), |r| int(r, -2, 6)),
        _ => (|r| int(r, -50, 50), |r| int(r, -50, 50)),
    }
}

/// Layout kinds for the two operands: every kind appears on both sides.
const KIND_PAIRS: &[(Kind, Kind)] = &[
    (Kind::Contiguous, Kind::Contiguous),
    (Kind::Permuted, Kind::Contiguous),
    (Kind::Contiguous, Kind::Stepped),
    (Kind::Narrowed, Kind::Transposed),
    (Kind::Transposed, Kind::Expanded),
    (Kind::Expanded, Kind::Permuted),
    (Kind::Stepped, Kind::Narrowed),
];

fn binary_grid<T: Numeric>(seed: u64, operands: impl Fn(&str) -> (Gen<T>, Gen<T>)) {
    let mut rng = Rng::seed(seed);
    for (sa, sb) in BROADCAST_PAIRS {
        for &(ka, kb) in KIND_PAIRS {
            for (name, op) in binary_ops::<T>() {
                let (ga, gb) = operands(name);
                let a = make(sa, ka, &mut rng, ga);
                let b = make(sb, kb, &mut rng, gb);
                naive_vs_fast(&format!("{name}({a:?}, {b:?})"), EXACT, || op(&a.t, &b.t));
            }
        }
    }
}

#[test]
fn binary_f32_with_broadcasting() {
    binary_grid::<f32>(4, float_operands::<f32>);
}

#[test]
fn binary_f64_with_broadcasting() {
    binary_grid::<f64>(5, float_operands::<f64>);
}

#[test]
fn binary_i64_with_broadcasting() {
    binary_grid::<i64>(6, int_operands);
}

#[test]
fn binary_with_scalars_on_either_side() {
    let mut rng = Rng::seed(7);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let x = make(shape, kind, &mut rng, |r| uniform::<f32>(r, 0.1, 8.0));
            let s = uniform::<f32>(&mut rng, 0.5, 3.0);
            let what = |op: &str| format!("{op} with scalar {s} and {x:?}");
            naive_vs_fast(&what("x + s"), EXACT, || &x.t + s);
            naive_vs_fast(&what("s + x"), EXACT, || s + &x.t);
            naive_vs_fast(&what("x - s"), EXACT, || &x.t - s);
            naive_vs_fast(&what("s - x"), EXACT, || s - &x.t);
            naive_vs_fast(&what("x * s"), EXACT, || &x.t * s);
            naive_vs_fast(&what("s * x"), EXACT, || s * &x.t);
            naive_vs_fast(&what("x / s"), EXACT, || &x.t / s);
            naive_vs_fast(&what("s / x"), EXACT, || s / &x.t);
            naive_vs_fast(&what("x % s"), EXACT, || &x.t % s);
            naive_vs_fast(&what("x.powf(s)"), EXACT, || x.t.powf(s));
            naive_vs_fast(&what("s.pow(x)"), EXACT, || Tensor::scalar(s).pow(&x.t));
            naive_vs_fast(&what("maximum(x, s)"), EXACT, || x.t.maximum(&Tensor::scalar(s)));
            naive_vs_fast(&what("minimum(s, x)"), EXACT, || Tensor::scalar(s).minimum(&x.t));
            let i = x.t.cast::<i64>();
            naive_vs_fast(&what("i64 x * 3"), EXACT, || &i * 3);
            naive_vs_fast(&what("i64 7 - x"), EXACT, || 7 - &i);
        }
    }
}

#[test]
fn binary_nan_propagates_the_same_way() {
    let a = Tensor::from_vec((0..65).map(|i| if i % 5 == 0 { f32::NAN } else { i as f32 - 30.0 }).collect(), [65]);
    let b = Tensor::from_vec((0..65).map(|i| if i % 7 == 0 { f32::NAN } else { 30.0 - i as f32 }).collect(), [65]);
    for (name, op) in binary_ops::<f32>() {
        naive_vs_fast(&format!("{name} with NaNs"), EXACT, || op(&a, &b));
        naive_vs_fast(&format!("{name} with a NaN scalar"), EXACT, || op(&a, &Tensor::scalar(f32::NAN)));
    }
}

#[test]
fn binary_above_the_threading_threshold() {
    let mut rng = Rng::seed(8);
    let rows = [LARGE[0], 1];
    let cols = [LARGE[1]];
    for (ka, kb) in
        [(Kind::Contiguous, Kind::Contiguous), (Kind::Transposed, Kind::Stepped), (Kind::Expanded, Kind::Narrowed)]
    {
        for (name, op) in binary_ops::<f32>() {
            let (ga, gb) = float_operands::<f32>(name);
            let a = make(&LARGE, ka, &mut rng, ga);
            for other in [&LARGE[..], &rows[..], &cols[..], &[]] {
                let b = make(other, kb, &mut rng, gb);
                naive_vs_fast(&format!("{name} of {} {:?} and {:?}", a.how, LARGE, b), EXACT, || op(&a.t, &b.t));
            }
        }
    }
}

// ----- comparisons and clamp -----------------------------------------------------------------

type Compare<T> = fn(&Tensor<T>, &Tensor<T>) -> Tensor<bool>;

fn comparisons<T: Numeric>() -> Vec<(&'static str, Compare<T>)> {
    vec![
        ("eq", |a, b| a.eq(b)),
        ("ne", |a, b| a.ne(b)),
        ("lt", |a, b| a.lt(b)),
        ("le", |a, b| a.le(b)),
        ("gt", |a, b| a.gt(b)),
        ("ge", |a, b| a.ge(b)),
    ]
}

fn comparison_grid<T: Numeric>(seed: u64) {
    let mut rng = Rng::seed(seed);
    for (sa, sb) in BROADCAST_PAIRS {
        for &(ka, kb) in KIND_PAIRS {
            // Few distinct values, so that equality is common.
            let a = make(sa, ka, &mut rng, |r| int::<T>(r, -2, 2));
            let b = make(sb, kb, &mut rng, |r| int::<T>(r, -2, 2));
            for (name, cmp) in comparisons::<T>() {
                naive_vs_fast(&format!("{name}({a:?}, {b:?})"), EXACT, || cmp(&a.t, &b.t));
            }
            let s = int::<T>(&mut rng, -2, 2);
            naive_vs_fast(&format!("eq_scalar({a:?}, {s})"), EXACT, || a.t.eq_scalar(s));
            naive_vs_fast(&format!("lt_scalar({a:?}, {s})"), EXACT, || a.t.lt_scalar(s));
            naive_vs_fast(&format!("ge_scalar({a:?}, {s})"), EXACT, || a.t.ge_scalar(s));
            naive_vs_fast(&format!("clamp({a:?}, -1, 1)"), EXACT, || a.t.clamp(T::from_f64(-1.0), T::ONE));
        }
    }
}

#[test]
fn comparisons_and_clamp_f32() {
    comparison_grid::<f32>(9);
}

#[test]
fn comparisons_and_clamp_i64() {
    comparison_grid::<i64>(10);
}

// ----- reductions ----------------------------------------------------------------------------

/// Every way to name axes of a rank-`rank` tensor worth testing: each single axis (positive
/// and negative), each pair (adjacent or not), each triple, and `Axes::All`.
fn axes_choices(rank: usize) -> Vec<(Axes, Vec<usize>)> {
    let r = rank as isize;
    let mut out = vec![(Axes::All, (0..rank).collect())];
    for a in 0..rank {
        out.push((Axes::from(a as isize), vec![a]));
        out.push((Axes::from(a as isize - r), vec![a]));
        for b in a + 1..rank {
            out.push((Axes::from([b as isize - r, a as isize]), vec![a, b]));
            for c in b + 1..rank {
                out.push((Axes::from([a as isize, c as isize, b as isize - r]), vec![a, b, c]));
            }
        }
    }
    out
}

type Reduce<T> = fn(&Tensor<T>, Axes, bool) -> Tensor<T>;

fn reductions<T: Float>() -> Vec<(&'static str, Reduce<T>)> {
    vec![
        ("sum", |x, a, k| x.sum(a, k)),
        ("max", |x, a, k| x.max(a, k)),
        ("min", |x, a, k| x.min(a, k)),
        ("mean", |x, a, k| x.mean(a, k)),
        ("var", |x, a, k| x.var(a, k)),
        ("std", |x, a, k| x.std(a, k)),
        ("var_population", |x, a, k| x.var_population(a, k)),
        ("logsumexp", |x, a, k| x.logsumexp(a, k)),
    ]
}

fn reduction_tol<T: Element>(name: &str, lane: usize) -> Tolerance {
    match name {
        "max" | "min" => EXACT,
        "sum" | "mean" => sum_tol::<T>(lane),
        // Two passes over the lane, then a square root.
        "var" | "std" | "var_population" => sum_tol::<T>(lane.max(65)),
        _ => float_tol::<T>(lane),
    }
}

fn reduction_grid<T: Float>(seed: u64) {
    let mut rng = Rng::seed(seed);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let x = make(shape, kind, &mut rng, |r| uniform::<T>(r, -8.0, 8.0));
            for (axes, list) in axes_choices(shape.len()) {
                let lane: usize = list.iter().map(|&a| shape[a]).product();
                for keepdim in [false, true] {
                    for (name, op) in reductions::<T>() {
                        let what = format!("{name}({axes:?}, keepdim {keepdim}) of {x:?}");
                        naive_vs_fast(&what, reduction_tol::<T>(name, lane), || op(&x.t, axes.clone(), keepdim));
                    }
                }
            }
        }
    }
}

#[test]
fn reductions_f32_over_every_axis_set() {
    reduction_grid::<f32>(11);
}

#[test]
fn reductions_f64_over_every_axis_set() {
    reduction_grid::<f64>(12);
}

/// Small integers (sums) and powers of two (products) are exact in any order, so here the
/// fast path may not differ at all, whatever order it sums in.
#[test]
fn sums_and_products_of_exact_values_match_exactly() {
    let mut rng = Rng::seed(13);
    let powers = [-2.0f32, -1.0, -0.5, 0.5, 1.0, 2.0];
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let ints = make(shape, kind, &mut rng, |r| int::<f32>(r, -4, 4));
            let pows = make(shape, kind, &mut rng, |r| powers[r.below(6) as usize]);
            let i64s = make(shape, kind, &mut rng, |r| int::<i64>(r, -1, 1));
            for (axes, _) in axes_choices(shape.len()) {
                for keepdim in [false, true] {
                    let a = || axes.clone();
                    let what =
                        |op: &str, x: &dyn std::fmt::Debug| format!("{op}({axes:?}, keepdim {keepdim}) of {x:?}");
                    naive_vs_fast(&what("sum", &ints), EXACT, || ints.t.sum(a(), keepdim));
                    naive_vs_fast(&what("mean", &ints), EXACT, || ints.t.mean(a(), keepdim));
                    naive_vs_fast(&what("prod", &pows), EXACT, || pows.t.prod(a(), keepdim));
                    naive_vs_fast(&what("i64 sum", &i64s), EXACT, || i64s.t.sum(a(), keepdim));
                    naive_vs_fast(&what("i64 prod", &i64s), EXACT, || i64s.t.prod(a(), keepdim));
                    naive_vs_fast(&what("i64 max", &i64s), EXACT, || i64s.t.max(a(), keepdim));
                    naive_vs_fast(&what("i64 min", &i64s), EXACT, || i64s.t.min(a(), keepdim));
                }
            }
        }
    }
}

#[test]
fn products_of_small_reals() {
    let mut rng = Rng::seed(14);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let x = make(shape, kind, &mut rng, |r| uniform::<f32>(r, 0.5, 1.5));
            for (axes, list) in axes_choices(shape.len()) {
                let lane: usize = list.iter().map(|&a| shape[a]).product();
                naive_vs_fast(&format!("prod({axes:?}) of {x:?}"), float_tol::<f32>(lane), || {
                    x.t.prod(axes.clone(), true)
                });
            }
        }
    }
}

#[test]
fn reductions_of_nan_and_infinity() {
    // NaN wins max and min; infinities are ordinary extremes; sums of +inf and -inf are NaN.
    let mut rng = Rng::seed(15);
    let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    for shape in [&[7usize, 65][..], &[65, 7], &[3, 5, 17]] {
        for kind in KINDS {
            let x = make(shape, kind, &mut rng, |r| {
                if r.below(20) == 0 {
                    specials[r.below(3) as usize]
                } else {
                    uniform(r, -8.0, 8.0)
                }
            });
            for (axes, list) in axes_choices(shape.len()) {
                let lane: usize = list.iter().map(|&a| shape[a]).product();
                for (name, op) in reductions::<f32>() {
                    let what = format!("{name}({axes:?}) of {x:?}");
                    naive_vs_fast(&what, reduction_tol::<f32>(name, lane), || op(&x.t, axes.clone(), false));
                }
            }
        }
    }
}

#[test]
fn reductions_above_the_threading_threshold() {
    let mut rng = Rng::seed(16);
    for kind in [Kind::Contiguous, Kind::Transposed, Kind::Stepped] {
        let x = make(&LARGE, kind, &mut rng, |r| uniform::<f32>(r, -8.0, 8.0));
        let ints = make(&LARGE, kind, &mut rng, |r| int::<f32>(r, -4, 4));
        for (axes, list) in axes_choices(2) {
            let lane: usize = list.iter().map(|&a| LARGE[a]).product();
            for (name, op) in reductions::<f32>() {
                let what = format!("{name}({axes:?}) of {} {:?}", x.how, LARGE);
                naive_vs_fast(&what, reduction_tol::<f32>(name, lane), || op(&x.t, axes.clone(), true));
            }
            naive_vs_fast(&format!("sum({axes:?}) of small integers, {}", ints.how), EXACT, || {
                ints.t.sum(axes.clone(), false)
            });
        }
        for axis in [0, 1, -1] {
            let what = |op: &str| format!("{op}({axis}) of {} {:?}", x.how, LARGE);
            naive_vs_fast(&what("argmax"), EXACT, || ints.t.argmax(axis, false));
            naive_vs_fast(&what("argmin"), EXACT, || ints.t.argmin(axis, true));
            naive_vs_fast(&what("cumsum"), EXACT, || ints.t.cumsum(axis));
            naive_vs_fast(&what("cumsum"), Tolerance::RELAXED, || x.t.cumsum(axis));
        }
    }
}

// ----- arg reductions and cumsum -------------------------------------------------------------

fn arg_grid<T: Numeric>(what: &str, rng: &mut Rng, gen: impl Fn(&mut Rng) -> T) {
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let x = make(shape, kind, rng, &gen);
            for axis in -(shape.len() as isize)..shape.len() as isize {
                for keepdim in [false, true] {
                    let label = |op: &str| format!("{what}: {op}({axis}, keepdim {keepdim}) of {x:?}");
                    naive_vs_fast(&label("max_with_indices.0"), EXACT, || x.t.max_with_indices(axis, keepdim).0);
                    naive_vs_fast(&label("max_with_indices.1"), EXACT, || x.t.max_with_indices(axis, keepdim).1);
                    naive_vs_fast(&label("min_with_indices.0"), EXACT, || x.t.min_with_indices(axis, keepdim).0);
                    naive_vs_fast(&label("min_with_indices.1"), EXACT, || x.t.min_with_indices(axis, keepdim).1);
                    naive_vs_fast(&label("argmax"), EXACT, || x.t.argmax(axis, keepdim));
                    naive_vs_fast(&label("argmin"), EXACT, || x.t.argmin(axis, keepdim));
                }
            }
        }
    }
}

#[test]
fn arg_reductions_with_ties() {
    let mut rng = Rng::seed(17);
    arg_grid("f32 ties", &mut rng, |r| int::<f32>(r, -2, 2));
    arg_grid("i64 ties", &mut rng, |r| int::<i64>(r, -2, 2));
    arg_grid("f64", &mut rng, |r| uniform::<f64>(r, -8.0, 8.0));
}

#[test]
fn arg_reductions_with_nan() {
    let mut rng = Rng::seed(18);
    arg_grid("f32 with NaN", &mut rng, |r| if r.below(10) == 0 { f32::NAN } else { int::<f32>(r, -2, 2) });
}

#[test]
fn cumsum_along_every_axis() {
    let mut rng = Rng::seed(19);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            let x = make(shape, kind, &mut rng, |r| uniform::<f32>(r, -8.0, 8.0));
            let d = make(shape, kind, &mut rng, |r| uniform::<f64>(r, -8.0, 8.0));
            let ints = make(shape, kind, &mut rng, |r| int::<f32>(r, -4, 4));
            let i64s = make(shape, kind, &mut rng, |r| int::<i64>(r, -50, 50));
            for axis in -(shape.len() as isize)..shape.len() as isize {
                let lane = shape[if axis < 0 { (axis + shape.len() as isize) as usize } else { axis as usize }];
                let what = |x: &dyn std::fmt::Debug| format!("cumsum({axis}) of {x:?}");
                naive_vs_fast(&what(&x), sum_tol::<f32>(lane), || x.t.cumsum(axis));
                naive_vs_fast(&what(&d), sum_tol::<f64>(lane), || d.t.cumsum(axis));
                naive_vs_fast(&what(&ints), EXACT, || ints.t.cumsum(axis));
                naive_vs_fast(&what(&i64s), EXACT, || i64s.t.cumsum(axis));
            }
        }
    }
}

// ----- softmax -------------------------------------------------------------------------------

fn softmax_grid<T: Float>(seed: u64) {
    let mut rng = Rng::seed(seed);
    for shape in AWKWARD_SHAPES {
        for kind in KINDS {
            // Moderate logits, huge ones, and masked (-inf) entries as in attention.
            let moderate = make(shape, kind, &mut rng, |r| uniform::<T>(r, -8.0, 8.0));
            let huge = make(shape, kind, &mut rng, |r| uniform::<T>(r, -1e4, 1e4));
            let masked =
                make(
                    shape,
                    kind,
                    &mut rng,
                    |r| {
                        if r.below(5) == 0 {
                            T::NEG_INFINITY
                        } else {
                            uniform::<T>(r, -8.0, 8.0)
                        }
                    },
                );
            for x in [&moderate, &huge, &masked] {
                for axis in -(shape.len() as isize)..shape.len() as isize {
                    let lane = x.t.dim(axis);
                    let tol = float_tol::<T>(lane);
                    naive_vs_fast(&format!("softmax({axis}) of {x:?}"), tol, || x.t.softmax(axis));
                    naive_vs_fast(&format!("log_softmax({axis}) of {x:?}"), tol, || x.t.log_softmax(axis));
                    naive_vs_fast(&format!("logsumexp({axis}) of {x:?}"), tol, || x.t.logsumexp(axis, true));
                }
            }
        }
    }
}

#[test]
fn softmax_family_f32_over_every_axis() {
    softmax_grid::<f32>(20);
}

#[test]
fn softmax_family_f64_over_every_axis() {
    softmax_grid::<f64>(21);
}

/// Terms between e^-745 and e^-700 of the max are subnormal in f64: the fast kernel keeps
/// them as the naive one (and PyTorch) do, instead of flushing them to 0. A tolerance with an
/// absolute floor cannot see a flush, so this compares relative errors element by element.
#[test]
fn softmax_f64_keeps_subnormal_terms_like_naive() {
    let mut rng = Rng::seed(23);
    for &(rows, len) in &[(1usize, 1usize), (3, 7), (2, 65), (1, 257)] {
        let data: Vec<f64> = (0..rows * len)
            .map(|i| if i % len == 0 { 0.0 } else { uniform::<f64>(&mut rng, -740.0, -700.0) })
            .collect();
        let x = Tensor::from_vec(data, [rows, len]);
        for (what, axis, t) in [("rows", 1, x.clone()), ("columns", 0, x.t().contiguous())] {
            for log in [false, true] {
                let run = |mode| with_kernel_mode(mode, || if log { t.log_softmax(axis) } else { t.softmax(axis) });
                let (naive, fast) = (run(KernelMode::Naive).to_vec(), run(KernelMode::Fast).to_vec());
                for (i, (n, f)) in naive.iter().zip(&fast).enumerate() {
                    // One subnormal step apart is a rounding difference; a flush is far more.
                    let close = (n - f).abs() <= f64::from_bits(1) || (n - f).abs() <= 1e-12 * n.abs();
                    assert!(close, "{what} [{rows}, {len}] log {log}, element {i}: fast {f:e}, naive {n:e}");
                }
            }
        }
    }
}

#[test]
fn softmax_above_the_threading_threshold() {
    let mut rng = Rng::seed(22);
    for kind in [Kind::Contiguous, Kind::Transposed, Kind::Narrowed] {
        let x = make(&LARGE, kind, &mut rng, |r| uniform::<f32>(r, -8.0, 8.0));
        for axis in [0, 1, -1] {
            let tol = float_tol::<f32>(x.t.dim(axis));
            let what = |op: &str| format!("{op}({axis}) of {} {:?}", x.how, LARGE);
            naive_vs_fast(&what("softmax"), tol, || x.t.softmax(axis));
            naive_vs_fast(&what("log_softmax"), tol, || x.t.log_softmax(axis));
            naive_vs_fast(&what("logsumexp"), tol, || x.t.logsumexp(axis, false));
        }
        naive_vs_fast(&format!("logsumexp(All) of {}", x.how), Tolerance::RELAXED, || x.t.logsumexp(Axes::All, false));
    }
}

// ----- matmul --------------------------------------------------------------------------------

fn matmul_case<T: Numeric>(what: &str, tol: Tolerance, a: &Built<T>, b: &Built<T>) {
    let label = format!("{what}: matmul of {:?} ({}) by {:?} ({})", a.t.shape(), a.how, b.t.shape(), b.how);
    naive_vs_fast(&label, tol, || a.t.matmul(&b.t));
}

/// Every kind of layout for both operands of an `m×k · k×n` product, in one element type.
fn matmul_grid<T: Numeric>(what: &str, tol: impl Fn(usize) -> Tolerance, seed: u64, gen: impl Fn(&mut Rng) -> T) {
    let mut rng = Rng::seed(seed);
    for &(m, k, n) in MATMUL_SIZES {
        for (i, ka) in KINDS.into_iter().enumerate() {
            // Pair each kind with two others so every kind meets every position.
            for kb in [KINDS[i], KINDS[(i + 3) % KINDS.len()]] {
                let a = make(&[m, k], ka, &mut rng, &gen);
                let b = make(&[k, n], kb, &mut rng, &gen);
                matmul_case(what, tol(k), &a, &b);
            }
        }
    }
}

#[test]
fn matmul_f32_every_layout() {
    matmul_grid::<f32>("f32", float_tol::<f32>, 23, |r| uniform(r, -1.0, 1.0));
}

#[test]
fn matmul_f32_small_integers_exactly() {
    // Products and sums of small integers are exact in f32 at these sizes, whatever the order.
    matmul_grid::<f32>("f32 integers", |_| EXACT, 24, |r| int(r, -4, 4));
}

#[test]
fn matmul_f64_every_layout() {
    matmul_grid::<f64>("f64", float_tol::<f64>, 25, |r| uniform(r, -1.0, 1.0));
}

#[test]
fn matmul_i64_every_layout() {
    matmul_grid::<i64>("i64", |_| EXACT, 26, |r| int(r, -9, 9));
}

/// PyTorch's rank rules: vectors on either side, batches that broadcast, a shared matrix
/// against a batch.
#[test]
fn matmul_vectors_and_batches() {
    let mut rng = Rng::seed(27);
    let cases: &[(&[usize], &[usize])] = &[
        (&[7], &[7]),
        (&[257], &[257]),
        (&[65], &[65, 7]),
        (&[63, 65], &[65]),
        (&[2, 1, 7, 65], &[3, 65, 9]),
        (&[4, 17, 63], &[63, 5]),
        (&[63, 5], &[4, 5, 17]),
        (&[3, 7, 65], &[65]),
        (&[65], &[3, 65, 7]),
        (&[1, 65, 63], &[5, 63, 66]),
        (&[2, 3, 33, 17], &[2, 3, 17, 9]),
    ];
    for (sa, sb) in cases {
        for (i, ka) in KINDS.into_iter().enumerate() {
            let kb = KINDS[(i + 2) % KINDS.len()];
            let k = *sa.last().unwrap();
            let a = make(sa, ka, &mut rng, |r| uniform::<f32>(r, -1.0, 1.0));
            let b = make(sb, kb, &mut rng, |r| uniform::<f32>(r, -1.0, 1.0));
            matmul_case("f32", float_tol::<f32>(k), &a, &b);
            let a = make(sa, ka, &mut rng, |r| uniform::<f64>(r, -1.0, 1.0));
            let b = make(sb, kb, &mut rng, |r| uniform::<f64>(r, -1.0, 1.0));
            matmul_case("f64", float_tol::<f64>(k), &a, &b);
            let a = make(sa, ka, &mut rng, |r| int::<i64>(r, -9, 9));
            let b = make(sb, kb, &mut rng, |r| int::<i64>(r, -9, 9));
            matmul_case("i64", EXACT, &a, &b);
        }
    }
}

#[test]
fn matmul_of_transposed_operands() {
    // `x.t()` of a dense matrix: the fast path multiplies it in place, without a copy.
    let mut rng = Rng::seed(28);
    for &(m, k, n) in MATMUL_SIZES {
        let at = make(&[k, m], Kind::Contiguous, &mut rng, |r| uniform::<f32>(r, -1.0, 1.0));
        let bt = make(&[n, k], Kind::Contiguous, &mut rng, |r| uniform::<f32>(r, -1.0, 1.0));
        let (a, b) = (at.t.t(), bt.t.t());
        let label = format!("A^T B^T with m={m} k={k} n={n}");
        naive_vs_fast(&label, float_tol::<f32>(k), || a.matmul(&b));
        let bd = b.contiguous();
        naive_vs_fast(&format!("{label}, B dense"), float_tol::<f32>(k), || a.matmul(&bd));
    }
}

// ----- random shapes -------------------------------------------------------------------------

fn op_index(n: usize) -> impl Strategy<Value = usize> {
    0..n
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn unary_on_random_tensors(x in arb_tensor(arb_shape(0..=4, 1..=9), f32s()), op in op_index(15)) {
        let (name, f, (lo, hi)) = unary_ops::<f32>()[op];
        // Map the drawn values into the op's domain.
        let x_in = &(&x.t + 8.0) * ((hi - lo) / 16.0) as f32 + lo as f32;
        naive_vs_fast(&format!("{name}({x:?} mapped to [{lo}, {hi}])"), unary_tol::<f32>(name), || f(&x_in));
    }

    #[test]
    fn binary_on_random_broadcast_pairs((a, b) in arb_broadcast_pair(0..=4, 1..=9, f32s()), op in op_index(8)) {
        let (name, f) = binary_ops::<f32>()[op];
        naive_vs_fast(&format!("{name}({a:?}, {b:?})"), EXACT, || f(&a.t, &b.t));
    }

    #[test]
    fn integer_binary_on_random_broadcast_pairs(
        (a, b) in arb_broadcast_pair(0..=4, 1..=9, (-50i64..=50).prop_map(|v| if v == 0 { 1 } else { v })),
        op in op_index(8),
    ) {
        let (name, f) = binary_ops::<i64>()[op];
        // Keep powers small enough not to overflow.
        let (a_in, b_in) = if name == "pow" { (a.t.clamp(-3, 3), b.t.clamp(-2, 5)) } else { (a.t.clone(), b.t.clone()) };
        naive_vs_fast(&format!("{name}({a:?}, {b:?})"), EXACT, || f(&a_in, &b_in));
    }

    #[test]
    fn reductions_on_random_tensors(
        x in arb_tensor(arb_shape(1..=4, 1..=9), f32s()),
        op in op_index(8),
        seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        let choices = axes_choices(x.t.rank());
        let (axes, list) = &choices[Rng::seed(seed).below(choices.len() as u64) as usize];
        let lane: usize = list.iter().map(|&a| x.t.shape()[a]).product();
        let (name, f) = reductions::<f32>()[op];
        naive_vs_fast(&format!("{name}({axes:?}, keepdim {keepdim}) of {x:?}"), reduction_tol::<f32>(name, lane), || f(&x.t, axes.clone(), keepdim));
    }

    #[test]
    fn arg_reductions_and_cumsum_on_random_tensors(
        x in arb_tensor(arb_shape(1..=4, 1..=9), small_int_f32s()),
        seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        let rank = x.t.rank() as isize;
        let axis = Rng::seed(seed).below(2 * rank as u64) as isize - rank;
        naive_vs_fast(&format!("argmax({axis}) of {x:?}"), EXACT, || x.t.argmax(axis, keepdim));
        naive_vs_fast(&format!("min_with_indices({axis}) of {x:?}"), EXACT, || x.t.min_with_indices(axis, keepdim).1);
        naive_vs_fast(&format!("cumsum({axis}) of {x:?}"), EXACT, || x.t.cumsum(axis));
    }

    #[test]
    fn softmax_on_random_tensors(x in arb_tensor(arb_shape(1..=4, 1..=9), -30.0f32..30.0), seed in any::<u64>()) {
        let rank = x.t.rank() as isize;
        let axis = Rng::seed(seed).below(2 * rank as u64) as isize - rank;
        naive_vs_fast(&format!("softmax({axis}) of {x:?}"), Tolerance::DEFAULT, || x.t.softmax(axis));
        naive_vs_fast(&format!("log_softmax({axis}) of {x:?}"), Tolerance::DEFAULT, || x.t.log_softmax(axis));
        naive_vs_fast(&format!("logsumexp({axis}) of {x:?}"), Tolerance::DEFAULT, || x.t.logsumexp(axis, false));
    }

    #[test]
    fn matmul_on_random_shapes(
        (a, b) in (arb_shape(0..=2, 1..=3), 1usize..=19, 1usize..=19, 1usize..=19, any::<u64>()).prop_flat_map(|(batch, m, k, n, seed)| {
            let mut rng = Rng::seed(seed);
            let sa = [broadcastable_to(&batch, &mut rng), vec![m, k]].concat();
            let sb = [broadcastable_to(&batch, &mut rng), vec![k, n]].concat();
            (arb_tensor(Just(sa), -1.0f32..1.0), arb_tensor(Just(sb), -1.0f32..1.0))
        }),
    ) {
        let k = a.t.dim(-1);
        matmul_case("f32", float_tol::<f32>(k), &a, &b);
    }
}
