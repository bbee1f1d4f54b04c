//! tensor::stats::distributions samplers: moments within 5 standard errors, the whole
//! distribution by a Kolmogorov–Smirnov or per-value frequency check (against the CDF/PMF
//! that stats_distributions.rs checks against SciPy), reproducibility from a seed, and
//! course fixture #36. All seeded, so a failure reproduces.

use kindling_tensor::stats::distributions::{
    Bernoulli, Beta, Binomial, Categorical, Continuous, Discrete, Exponential, Gamma, Multinomial, Normal, Poisson,
    Uniform,
};
use kindling_tensor::Rng;

const N: usize = 100_000;

/// Sample mean and variance, and their standard errors (the variance's from the sample's
/// fourth central moment).
fn moments(xs: &[f64]) -> (f64, f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    (mean, m2, (m2 / n).sqrt(), ((m4 - m2 * m2) / n).sqrt())
}

fn check_moments(what: &str, xs: &[f64], mean: f64, variance: f64) {
    let (m, v, se_m, se_v) = moments(xs);
    assert!((m - mean).abs() <= 5.0 * se_m, "{what}: sample mean {m} vs {mean} (se {se_m})");
    assert!((v - variance).abs() <= 5.0 * se_v, "{what}: sample variance {v} vs {variance} (se {se_v})");
}

fn check_continuous(what: &str, d: &dyn Continuous, seed: u64) {
    let mut rng = Rng::seed(seed);
    let mut xs: Vec<f64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    assert!(xs.iter().all(|x| x.is_finite()), "{what}: a non-finite sample");
    check_moments(what, &xs, d.mean(), d.variance());
    // Kolmogorov–Smirnov: √n·D stays below 1.95 with probability 0.999.
    xs.sort_by(f64::total_cmp);
    let n = N as f64;
    let d_max = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = d.cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max);
    assert!(n.sqrt() * d_max < 1.95, "{what}: KS statistic √n·D = {}", n.sqrt() * d_max);
}

fn check_discrete(what: &str, d: &dyn Discrete, seed: u64) {
    let mut rng = Rng::seed(seed);
    let ks: Vec<i64> = (0..N).map(|_| d.sample(&mut rng)).collect();
    let xs: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    check_moments(what, &xs, d.mean(), d.variance());
    let (lo, hi) = (*ks.iter().min().unwrap(), *ks.iter().max().unwrap());
    assert!(d.pmf(lo) > 0.0 && d.pmf(hi) > 0.0, "{what}: a sample outside the support");
    // Every value with a sizeable expected count is within 5 standard errors of it, and the
    // chi-square over those values is within 5 of its standard deviations of its mean.
    let (mut chi2, mut df) = (0.0, 0usize);
    for k in lo..=hi {
        let expected = N as f64 * d.pmf(k);
        if expected < 20.0 {
            continue;
        }
        let observed = ks.iter().filter(|&&x| x == k).count() as f64;
        assert!(
            (observed - expected).abs() <= 5.0 * expected.sqrt(),
            "{what}: {observed} draws of {k}, expected {expected}"
        );
        chi2 += (observed - expected).powi(2) / expected;
        df += 1;
    }
    assert!(chi2 <= df as f64 + 5.0 * (2.0 * df as f64).sqrt() + 5.0, "{what}: chi-square {chi2} over {df} values");
}

#[test]
fn continuous_samplers_have_the_right_moments_and_distribution() {
    check_continuous("Normal(1.5, 0.3)", &Normal::new(1.5, 0.3), 1);
    check_continuous("Uniform(-1, 2.5)", &Uniform::new(-1.0, 2.5), 2);
    check_continuous("Exponential(0.7)", &Exponential::new(0.7), 3);
    check_continuous("Gamma(0.3, 2)", &Gamma::new(0.3, 2.0), 4);
    check_continuous("Gamma(1, 1)", &Gamma::new(1.0, 1.0), 5);
    check_continuous("Gamma(7.5, 0.5)", &Gamma::new(7.5, 0.5), 6);
    check_continuous("Beta(0.5, 0.5)", &Beta::new(0.5, 0.5), 7);
    check_continuous("Beta(2, 5)", &Beta::new(2.0, 5.0), 8);
    check_continuous("Beta(40, 3)", &Beta::new(40.0, 3.0), 9);
}

#[test]
fn beta_with_tiny_shapes_stays_in_the_unit_interval() {
    // Both gamma draws underflow as plain numbers here; the sampler works in logarithms.
    let mut rng = Rng::seed(10);
    let b = Beta::new(0.01, 0.02);
    let xs = b.sample_n(&mut rng, 20_000).to_vec();
    assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let se = (b.variance() / xs.len() as f64).sqrt();
    assert!((mean - b.mean()).abs() < 5.0 * se, "mean {mean} vs {}", b.mean());
}

#[test]
fn discrete_samplers_have_the_right_moments_and_frequencies() {
    check_discrete("Bernoulli(0.3)", &Bernoulli::new(0.3), 11);
    check_discrete("Binomial(10, 0.35)", &Binomial::new(10, 0.35), 12);
    check_discrete("Binomial(50, 0.9)", &Binomial::new(50, 0.9), 13);
    check_discrete("Binomial(1000, 0.3)", &Binomial::new(1000, 0.3), 14);
    check_discrete("Binomial(25, 0.45)", &Binomial::new(25, 0.45), 24);
    check_discrete("Binomial(200, 0.5)", &Binomial::new(200, 0.5), 25);
    check_discrete("Binomial(300, 0.96)", &Binomial::new(300, 0.96), 26);
    check_discrete("Binomial(100000, 0.002)", &Binomial::new(100_000, 0.002), 15);
    check_discrete("Poisson(0.8)", &Poisson::new(0.8), 16);
    check_discrete("Poisson(9.5)", &Poisson::new(9.5), 17);
    check_discrete("Poisson(12.5)", &Poisson::new(12.5), 18);
    check_discrete("Poisson(1000)", &Poisson::new(1000.0), 19);
    check_discrete("Categorical", &Categorical::new(&[0.1, 0.0, 0.25, 0.4, 0.25]), 20);
}

#[test]
fn extreme_binomials_are_exact_at_the_edges() {
    let mut rng = Rng::seed(21);
    assert!(Binomial::new(7, 0.0).sample_n(&mut rng, 100).to_vec().iter().all(|&k| k == 0));
    assert!(Binomial::new(7, 1.0).sample_n(&mut rng, 100).to_vec().iter().all(|&k| k == 7));
    assert!(Binomial::new(0, 0.4).sample_n(&mut rng, 100).to_vec().iter().all(|&k| k == 0));
    // A huge n (transformed rejection): mean within 5 standard errors over 2,000 draws.
    let b = Binomial::new(1_000_000_000, 0.37);
    let xs: Vec<f64> = b.sample_n(&mut rng, 2_000).to_vec().iter().map(|&k| k as f64).collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    assert!((mean - b.mean()).abs() < 5.0 * (b.variance() / 2_000.0).sqrt());
}

#[test]
fn categorical_never_draws_a_zero_probability_category() {
    let c = Categorical::new(&[0.0, 1.0, 0.0, 0.0]);
    let mut rng = Rng::seed(22);
    assert!(c.sample_n(&mut rng, 10_000).to_vec().iter().all(|&k| k == 1));
}

#[test]
fn multinomial_counts_sum_to_n_with_the_right_means() {
    let m = Multinomial::new(20, &[0.2, 0.5, 0.3]);
    let mut rng = Rng::seed(23);
    let draws = m.sample_n(&mut rng, 20_000);
    assert_eq!(draws.shape(), &[20_000, 3]);
    let counts = draws.to_vec();
    assert!(counts.chunks(3).all(|c| c.iter().sum::<i64>() == 20 && c.iter().all(|&x| x >= 0)));
    let (mean, var) = (m.mean().to_vec(), m.variance().to_vec());
    for j in 0..3 {
        let col: Vec<f64> = counts.chunks(3).map(|c| c[j] as f64).collect();
        check_moments(&format!("multinomial count {j}"), &col, mean[j], var[j]);
    }
}

#[test]
fn same_seed_same_samples() {
    let draw = |seed| {
        let mut rng = Rng::seed(seed);
        let g = Gamma::new(2.5, 1.0).sample_n(&mut rng, 50).to_vec();
        let p = Poisson::new(30.0).sample_n(&mut rng, 50).to_vec();
        let b = Binomial::new(500, 0.4).sample_n(&mut rng, 50).to_vec();
        (g, p, b)
    };
    assert_eq!(draw(99), draw(99));
    assert_ne!(draw(99).0, draw(100).0);
}

#[test]
fn course_fixture_36_normal_mass_within_one_and_two_sigma() {
    // INVENTORY §3 #36: 68.27% of N(0, 1) within 1σ, 95.45% within 2σ (loose tolerance).
    let mut rng = Rng::seed(36);
    let xs = Normal::standard().sample_n(&mut rng, 200_000).to_vec();
    let within = |k: f64| xs.iter().filter(|x| x.abs() < k).count() as f64 / xs.len() as f64;
    assert!((within(1.0) - 0.6827).abs() < 0.005, "within 1σ: {}", within(1.0));
    assert!((within(2.0) - 0.9545).abs() < 0.003, "within 2σ: {}", within(2.0));
    // And the CDF agrees with those figures.
    let n = Normal::standard();
    assert!((n.cdf(1.0) - n.cdf(-1.0) - 0.682689492137).abs() < 1e-12);
    assert!((n.cdf(2.0) - n.cdf(-2.0) - 0.954499736104).abs() < 1e-12);
}
