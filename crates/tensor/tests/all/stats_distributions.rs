//! tensor::stats::distributions densities, CDFs and moments against scipy.stats
//! (fixtures/stats/distributions.json), and their parameter checks.

use super::stats_fixtures::{assert_close_rel, f64s, i64s, load};
use kindling_tensor::stats::distributions::{
    Bernoulli, Beta, Binomial, Categorical, Continuous, Discrete, Exponential, Gamma, Multinomial, Normal, Poisson,
    Uniform,
};
use serde_json::Value;

fn continuous(case: &Value) -> Box<dyn Continuous> {
    let p = f64s(&case["params"]);
    match case["name"].as_str().unwrap() {
        "normal" => Box::new(Normal::new(p[0], p[1])),
        "uniform" => Box::new(Uniform::new(p[0], p[1])),
        "exponential" => Box::new(Exponential::new(p[0])),
        "gamma" => Box::new(Gamma::new(p[0], p[1])),
        "beta" => Box::new(Beta::new(p[0], p[1])),
        other => panic!("unknown distribution {other}"),
    }
}

fn discrete(case: &Value) -> Box<dyn Discrete> {
    let p = f64s(&case["params"]);
    match case["name"].as_str().unwrap() {
        "bernoulli" => Box::new(Bernoulli::new(p[0])),
        "binomial" => Box::new(Binomial::new(p[0] as u64, p[1])),
        "poisson" => Box::new(Poisson::new(p[0])),
        "categorical" => Box::new(Categorical::new(&p)),
        other => panic!("unknown distribution {other}"),
    }
}

#[test]
fn continuous_pdf_logpdf_cdf_and_moments_match_scipy_to_1e_12() {
    let f = load("distributions.json");
    for case in f["continuous"].as_array().unwrap() {
        let d = continuous(case);
        let name = format!("{} {:?}", case["name"], f64s(&case["params"]));
        let xs = f64s(&case["x"]);
        let pdf: Vec<f64> = xs.iter().map(|&x| d.pdf(x)).collect();
        let logpdf: Vec<f64> = xs.iter().map(|&x| d.logpdf(x)).collect();
        let cdf: Vec<f64> = xs.iter().map(|&x| d.cdf(x)).collect();
        assert_close_rel(&pdf, &f64s(&case["pdf"]), 1e-12, 1e-300, &format!("{name} pdf"));
        assert_close_rel(&logpdf, &f64s(&case["logpdf"]), 1e-12, 1e-14, &format!("{name} logpdf"));
        assert_close_rel(&cdf, &f64s(&case["cdf"]), 1e-12, 1e-300, &format!("{name} cdf"));
        let moments = [d.mean(), d.variance()];
        assert_close_rel(&moments, &[case["mean"].as_f64().unwrap(), case["var"].as_f64().unwrap()], 1e-14, 0.0, &name);
    }
}

#[test]
fn discrete_pmf_logpmf_cdf_and_moments_match_scipy_to_1e_12() {
    let f = load("distributions.json");
    for case in f["discrete"].as_array().unwrap() {
        let d = discrete(case);
        let name = format!("{} {:?}", case["name"], f64s(&case["params"]));
        let ks = i64s(&case["k"]);
        let pmf: Vec<f64> = ks.iter().map(|&k| d.pmf(k)).collect();
        let logpmf: Vec<f64> = ks.iter().map(|&k| d.logpmf(k)).collect();
        let cdf: Vec<f64> = ks.iter().map(|&k| d.cdf(k)).collect();
        assert_close_rel(&pmf, &f64s(&case["pmf"]), 1e-12, 1e-300, &format!("{name} pmf"));
        assert_close_rel(&logpmf, &f64s(&case["logpmf"]), 1e-12, 1e-14, &format!("{name} logpmf"));
        assert_close_rel(&cdf, &f64s(&case["cdf"]), 1e-12, 1e-300, &format!("{name} cdf"));
        let moments = [d.mean(), d.variance()];
        assert_close_rel(&moments, &[case["mean"].as_f64().unwrap(), case["var"].as_f64().unwrap()], 1e-14, 0.0, &name);
    }
}

#[test]
fn multinomial_pmf_matches_scipy() {
    let f = load("distributions.json");
    let m = &f["multinomial"];
    let dist = Multinomial::new(m["n"].as_u64().unwrap(), &f64s(&m["p"]));
    let got: Vec<f64> = m["counts"].as_array().unwrap().iter().map(|c| dist.pmf(&i64s(c))).collect();
    assert_close_rel(&got, &f64s(&m["pmf"]), 1e-12, 0.0, "multinomial pmf");
    assert_eq!(dist.pmf(&[1, 1, 1]), 0.0);
    assert_eq!(dist.mean().to_vec(), vec![9.0 * 0.2, 9.0 * 0.5, 9.0 * 0.3]);
}

fn panic_message<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).err().expect("expected a panic");
    err.downcast_ref::<String>().cloned().unwrap_or_else(|| err.downcast_ref::<&str>().unwrap().to_string())
}

#[test]
fn invalid_parameters_panic_with_the_distribution_and_the_value() {
    let cases: Vec<(String, &str)> = vec![
        (panic_message(|| Normal::new(0.0, 0.0)), "Normal::new: std must be positive and finite, got 0"),
        (panic_message(|| Normal::new(0.0, -1.0)), "Normal::new: std must be positive and finite, got -1"),
        (panic_message(|| Normal::new(f64::NAN, 1.0)), "Normal::new: mean must be finite"),
        (panic_message(|| Uniform::new(2.0, 1.0)), "Uniform::new: needs finite low < high, got low = 2, high = 1"),
        (panic_message(|| Exponential::new(-0.5)), "Exponential::new: rate must be positive and finite, got -0.5"),
        (panic_message(|| Gamma::new(0.0, 1.0)), "Gamma::new: shape must be positive"),
        (panic_message(|| Gamma::new(1.0, f64::INFINITY)), "Gamma::new: scale must be positive and finite, got inf"),
        (panic_message(|| Beta::new(1.0, -2.0)), "Beta::new: b must be positive"),
        (panic_message(|| Bernoulli::new(1.5)), "Bernoulli::new: p must be a probability in [0, 1], got 1.5"),
        (panic_message(|| Binomial::new(3, -0.1)), "Binomial::new: p must be a probability"),
        (panic_message(|| Poisson::new(0.0)), "Poisson::new: rate must be positive and finite, got 0"),
        (
            panic_message(|| Categorical::new(&[0.5, -0.5])),
            "Categorical::new: probabilities must be finite and non-negative, but entry 1 is -0.5",
        ),
        (panic_message(|| Categorical::new(&[0.0, 0.0])), "Categorical::new: the probabilities sum to zero"),
        (panic_message(|| Categorical::new(&[])), "Categorical::new: needs at least one category"),
        (
            panic_message(|| Multinomial::new(3, &[0.5, 0.5]).pmf(&[3])),
            "Multinomial::logpmf: 1 counts for 2 categories",
        ),
    ];
    for (msg, want) in cases {
        assert!(msg.contains(want), "{msg:?} should contain {want:?}");
    }
}
