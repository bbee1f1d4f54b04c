//! The numeric preprocessing steps on every strided layout of the shared test strategies: a
//! table that is a permuted, stepped, narrowed, transposed or expanded view fits and transforms
//! to the same bits as its contiguous copy.

use kindling_data::{MinMaxScaler, PolynomialFeatures, StandardScaler, Transform};
use kindling_tensor::testing::{check_close, Plan, EXACT, KINDS};
use kindling_tensor::{Rng, Tensor};

fn same_on_a_copy<S: Transform + Clone>(name: &str, step: &S, x: &Tensor<f64>, how: &str) {
    let (mut on_view, mut on_copy) = (step.clone(), step.clone());
    let y = on_view.fit_transform(x);
    let expected = on_copy.fit_transform(&x.contiguous());
    check_close(&format!("{name} on {how}"), &y, &expected, EXACT);
}

#[test]
fn preprocessing_gives_the_same_bits_on_every_layout() {
    let mut rng = Rng::seed(41);
    let mut strided = 0;
    for kind in KINDS {
        let plan = Plan::new(vec![9, 4], kind, &mut rng);
        let x = plan.build_with(&mut rng, |r| r.uniform_f64() * 20.0 - 10.0);
        strided += usize::from(!x.t.is_contiguous());
        same_on_a_copy("StandardScaler", &StandardScaler::new(), &x.t, &x.how);
        same_on_a_copy("MinMaxScaler", &MinMaxScaler::new(), &x.t, &x.how);
        same_on_a_copy("PolynomialFeatures", &PolynomialFeatures::new(2), &x.t, &x.how);
    }
    assert!(strided >= 4, "only {strided} of {} tables were strided", KINDS.len());
}
