//! The contract suite over every estimator of the crate, on small synthetic data.

use crate::doubles::blobs;
use kindling_classic::contract::{
    check_classifier, check_persist, check_predict_proba, check_rejects_non_finite, check_supervised,
};
use kindling_classic::linear::{ElasticNet, Lasso, LinearRegression, LogisticRegression, Penalty, Perceptron, Ridge};
use kindling_classic::naive_bayes::{BernoulliNb, GaussianNb, MultinomialNb};
use kindling_classic::neighbors::{KNeighborsClassifier, KNeighborsRegressor};
use kindling_tensor::Tensor;

/// Three features, a noisy linear target.
fn regression() -> (Tensor<f64>, Vec<f64>) {
    let n = 30;
    let x: Vec<f64> = (0..n * 3).map(|i| ((i * 37 % 101) as f64 / 101.0 - 0.5) * 4.0).collect();
    let y =
        x.chunks(3).enumerate().map(|(i, r)| 1.5 * r[0] - 2.0 * r[1] + 0.5 * r[2] + 0.1 * (i as f64).sin()).collect();
    (Tensor::from_vec(x, [n, 3]), y)
}

/// The blobs moved to non-negative values (counts for multinomial naive Bayes).
fn positive_blobs() -> (Tensor<f64>, Vec<i64>) {
    let (x, y) = blobs(8);
    let shape = x.shape().to_vec();
    (Tensor::from_vec(x.to_vec().iter().map(|v| v + 2.0).collect(), shape), y)
}

#[test]
fn linear_regression_keeps_the_contract() {
    let (x, y) = regression();
    check_supervised(&LinearRegression::new(), &x, &y);
    check_persist(&LinearRegression::new(), &x, &y);
    check_rejects_non_finite(&LinearRegression::new(), &x, &y);
}

#[test]
fn ridge_keeps_the_contract() {
    let (x, y) = regression();
    check_supervised(&Ridge::new().alpha(1.0), &x, &y);
    check_persist(&Ridge::new().alpha(1.0), &x, &y);
    check_rejects_non_finite(&Ridge::new().alpha(1.0), &x, &y);
}

#[test]
fn lasso_keeps_the_contract() {
    let (x, y) = regression();
    check_supervised(&Lasso::new().alpha(0.1), &x, &y);
    check_persist(&Lasso::new().alpha(0.1), &x, &y);
    check_rejects_non_finite(&Lasso::new().alpha(0.1), &x, &y);
}

#[test]
fn elastic_net_keeps_the_contract() {
    let (x, y) = regression();
    check_supervised(&ElasticNet::new().alpha(0.1).l1_ratio(0.5), &x, &y);
    check_persist(&ElasticNet::new().alpha(0.1).l1_ratio(0.5), &x, &y);
    check_rejects_non_finite(&ElasticNet::new().alpha(0.1).l1_ratio(0.5), &x, &y);
}

#[test]
fn k_neighbors_regressor_keeps_the_contract() {
    let (x, y) = regression();
    check_supervised(&KNeighborsRegressor::new(3), &x, &y);
    check_persist(&KNeighborsRegressor::new(3), &x, &y);
    check_rejects_non_finite(&KNeighborsRegressor::new(3), &x, &y);
}

#[test]
fn logistic_regression_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_predict_proba(&LogisticRegression::new(), &x, &y);
    check_persist(&LogisticRegression::new(), &x, &y);
    check_rejects_non_finite(&LogisticRegression::new(), &x, &y);
}

#[test]
fn l1_logistic_regression_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_predict_proba(&LogisticRegression::new().penalty(Penalty::L1), &x, &y);
    check_persist(&LogisticRegression::new().penalty(Penalty::L1), &x, &y);
    check_rejects_non_finite(&LogisticRegression::new().penalty(Penalty::L1), &x, &y);
}

#[test]
fn gaussian_nb_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_predict_proba(&GaussianNb::new(), &x, &y);
    check_persist(&GaussianNb::new(), &x, &y);
    check_rejects_non_finite(&GaussianNb::new(), &x, &y);
}

#[test]
fn bernoulli_nb_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_predict_proba(&BernoulliNb::new(), &x, &y);
    check_persist(&BernoulliNb::new(), &x, &y);
    check_rejects_non_finite(&BernoulliNb::new(), &x, &y);
}

#[test]
fn multinomial_nb_keeps_the_contract() {
    let (x, y) = positive_blobs();
    check_predict_proba(&MultinomialNb::new(), &x, &y);
    check_persist(&MultinomialNb::new(), &x, &y);
    check_rejects_non_finite(&MultinomialNb::new(), &x, &y);
}

#[test]
fn k_neighbors_classifier_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_predict_proba(&KNeighborsClassifier::new(3), &x, &y);
    check_persist(&KNeighborsClassifier::new(3), &x, &y);
    check_rejects_non_finite(&KNeighborsClassifier::new(3), &x, &y);
}

#[test]
fn perceptron_keeps_the_contract() {
    let (x, y) = blobs(8);
    check_classifier(&Perceptron::new(), &x, &y);
    check_persist(&Perceptron::new(), &x, &y);
    check_rejects_non_finite(&Perceptron::new(), &x, &y);
}
