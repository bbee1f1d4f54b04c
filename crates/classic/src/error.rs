//! [`ClassicError`]: what can go wrong when a model meets data or the file system.

use std::fmt;
use std::path::PathBuf;

/// Why fitting, saving or loading a classic model failed.
///
/// Shape mistakes (a `y` whose length differs from `x`'s rows, predicting with the wrong number
/// of features, predicting before `fit`) are programming errors and panic with the estimator's
/// name and both shapes; this type is for what depends on the data or the world.
#[derive(Debug)]
pub enum ClassicError {
    /// The data cannot be fitted as asked: too few samples or classes, a NaN or infinity in
    /// the input, a singular system the method cannot handle.
    Data {
        /// The estimator (`"LinearRegression"`).
        estimator: &'static str,
        /// What is wrong and what to do about it.
        reason: String,
    },
    /// A hyperparameter is out of range (`alpha` < 0, `k` = 0).
    Param {
        /// The estimator.
        estimator: &'static str,
        /// The hyperparameter's name.
        name: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// Saving or loading a model failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong and what to do.
        reason: String,
    },
}

impl ClassicError {
    /// A [`ClassicError::Data`].
    pub fn data(estimator: &'static str, reason: impl Into<String>) -> Self {
        ClassicError::Data { estimator, reason: reason.into() }
    }

    /// A [`ClassicError::Param`].
    pub fn param(estimator: &'static str, name: &'static str, reason: impl Into<String>) -> Self {
        ClassicError::Param { estimator, name, reason: reason.into() }
    }
}

impl fmt::Display for ClassicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassicError::Data { estimator, reason } => write!(f, "{estimator}: {reason}"),
            ClassicError::Param { estimator, name, reason } => write!(f, "{estimator}: {name} {reason}"),
            ClassicError::Io { path, reason } => write!(f, "{}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for ClassicError {}
