//! Ensembles of trees: random forests and extra trees, AdaBoost, gradient boosting and
//! histogram-based gradient boosting.
//!
//! ```
//! use kindling_classic::ensemble::RandomForestClassifier;
//! use kindling_classic::{Classifier, Supervised};
//! use kindling_tensor::{Rng, Tensor};
//!
//! // Two noisy classes split by the sign of x₀·x₁ (no single threshold separates them).
//! let mut rng = Rng::seed(1);
//! let x = Tensor::<f64>::randn([300, 2], &mut rng);
//! let y: Vec<i64> = (0..300).map(|i| i64::from(x.get(&[i, 0]) * x.get(&[i, 1]) > 0.0)).collect();
//! let mut forest = RandomForestClassifier::new(50).oob_score(true).seed(0);
//! forest.fit(&x, &y).unwrap();
//! assert_eq!(forest.classes(), [0, 1]);
//! assert!(forest.oob_score_value().unwrap() > 0.85);
//! ```

// Random forests and extra trees (owner: trees).
pub mod forest;
mod forest_models;
pub use forest::{ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor};

// AdaBoost and exact gradient boosting (owner: boosting).
pub mod adaboost;
pub mod gradient_boosting;
pub use adaboost::AdaBoostClassifier;
pub use gradient_boosting::{GradientBoostingClassifier, GradientBoostingRegressor};

// Histogram-based gradient boosting (owner: histogram boosting).
pub mod hist_gradient_boosting;
pub use hist_gradient_boosting::{EarlyStopping, HistGradientBoostingClassifier, HistGradientBoostingRegressor};
