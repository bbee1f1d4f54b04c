//! Ensembles of trees: random forests and extra trees, AdaBoost, gradient boosting and
//! histogram-based gradient boosting.

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
