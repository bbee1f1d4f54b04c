//! The confusion matrix and the class-wise scores read from it: precision, recall, F1 and
//! specificity per class, and their macro, micro and weighted averages.

use super::{class_index, ratio};
use std::fmt;

/// How per-class scores are combined into one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Average {
    /// The unweighted mean over classes: every class counts the same, however rare.
    Macro,
    /// Pool true/false positives and negatives over all classes, then compute the ratio once.
    Micro,
    /// The mean over classes weighted by support (the number of actual samples per class).
    Weighted,
}

impl Average {
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Average::Macro => "macro",
            Average::Micro => "micro",
            Average::Weighted => "weighted",
        }
    }
}

/// Counts of (actual, predicted) class pairs: rows are actual classes, columns predicted ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix { classes, counts: vec![0; classes * classes] }
    }

    /// The matrix of one set of predictions. Panics if the lengths differ or a label is
    /// outside `0..classes`.
    pub fn from_labels(actual: &[i64], predicted: &[i64], classes: usize) -> Self {
        let mut cm = Self::new(classes);
        cm.update(actual, predicted);
        cm
    }

    /// Adds one batch of labels.
    pub fn update(&mut self, actual: &[i64], predicted: &[i64]) {
        assert_eq!(
            actual.len(),
            predicted.len(),
            "ConfusionMatrix: {} actual labels but {} predictions",
            actual.len(),
            predicted.len()
        );
        for (&a, &p) in actual.iter().zip(predicted) {
            let (a, p) = (class_index(a, self.classes, "actual"), class_index(p, self.classes, "predicted"));
            self.counts[a * self.classes + p] += 1;
        }
    }

    /// Grows the matrix to at least `classes` classes, keeping the counts.
    pub fn grow(&mut self, classes: usize) {
        if classes <= self.classes {
            return;
        }
        let mut counts = vec![0; classes * classes];
        for a in 0..self.classes {
            for p in 0..self.classes {
                counts[a * classes + p] = self.counts[a * self.classes + p];
            }
        }
        self.classes = classes;
        self.counts = counts;
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// How many samples of actual class `actual` were predicted as `predicted`.
    pub fn get(&self, actual: usize, predicted: usize) -> u64 {
        self.counts[actual * self.classes + predicted]
    }

    /// The matrix as rows (one per actual class).
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts.chunks(self.classes.max(1)).map(<[u64]>::to_vec).take(self.classes).collect()
    }

    /// The number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Samples of class `c` predicted as `c`.
    pub fn true_positives(&self, c: usize) -> u64 {
        self.get(c, c)
    }

    /// Samples of other classes predicted as `c` (the column of `c` minus the diagonal).
    pub fn false_positives(&self, c: usize) -> u64 {
        (0..self.classes).filter(|&a| a != c).map(|a| self.get(a, c)).sum()
    }

    /// Samples of class `c` predicted as something else (the row of `c` minus the diagonal).
    pub fn false_negatives(&self, c: usize) -> u64 {
        (0..self.classes).filter(|&p| p != c).map(|p| self.get(c, p)).sum()
    }

    /// Samples neither of class `c` nor predicted as `c`.
    pub fn true_negatives(&self, c: usize) -> u64 {
        self.total() - self.true_positives(c) - self.false_positives(c) - self.false_negatives(c)
    }

    /// The number of actual samples of class `c`.
    pub fn support(&self, c: usize) -> u64 {
        self.true_positives(c) + self.false_negatives(c)
    }

    /// (TP + TN) / all: the fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.classes).map(|c| self.get(c, c)).sum();
        ratio(correct as f64, self.total() as f64)
    }

    /// TP / (TP + FP) of class `c`: of what was predicted `c`, how much was right.
    pub fn precision(&self, c: usize) -> f64 {
        let tp = self.true_positives(c) as f64;
        ratio(tp, tp + self.false_positives(c) as f64)
    }

    /// TP / (TP + FN) of class `c` (sensitivity): of the actual `c`, how much was found.
    pub fn recall(&self, c: usize) -> f64 {
        let tp = self.true_positives(c) as f64;
        ratio(tp, tp + self.false_negatives(c) as f64)
    }

    /// 2PR / (P + R) of class `c`, the harmonic mean of precision and recall.
    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.recall(c));
        ratio(2.0 * p * r, p + r)
    }

    /// TN / (TN + FP) of class `c`: of the samples that are not `c`, how many were not
    /// flagged as `c`.
    pub fn specificity(&self, c: usize) -> f64 {
        let tn = self.true_negatives(c) as f64;
        ratio(tn, tn + self.false_positives(c) as f64)
    }

    /// Precision of every class.
    pub fn precision_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.precision(c)).collect()
    }

    /// Recall of every class.
    pub fn recall_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.recall(c)).collect()
    }

    /// F1 of every class.
    pub fn f1_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.f1(c)).collect()
    }

    /// Specificity of every class.
    pub fn specificity_per_class(&self) -> Vec<f64> {
        (0..self.classes).map(|c| self.specificity(c)).collect()
    }

    fn average(&self, per_class: Vec<f64>, average: Average, micro: impl Fn(&Self) -> f64) -> f64 {
        match average {
            Average::Macro => ratio(per_class.iter().sum(), per_class.len() as f64),
            Average::Weighted => {
                let weighted: f64 = per_class.iter().enumerate().map(|(c, v)| v * self.support(c) as f64).sum();
                ratio(weighted, self.total() as f64)
            }
            Average::Micro => micro(self),
        }
    }

    fn pooled(&self) -> (f64, f64, f64, f64) {
        let sum = |f: &dyn Fn(usize) -> u64| (0..self.classes).map(f).sum::<u64>() as f64;
        (
            sum(&|c| self.true_positives(c)),
            sum(&|c| self.false_positives(c)),
            sum(&|c| self.false_negatives(c)),
            sum(&|c| self.true_negatives(c)),
        )
    }

    /// Precision averaged over classes.
    pub fn precision_average(&self, average: Average) -> f64 {
        self.average(self.precision_per_class(), average, |m| {
            let (tp, fp, _, _) = m.pooled();
            ratio(tp, tp + fp)
        })
    }

    /// Recall averaged over classes.
    pub fn recall_average(&self, average: Average) -> f64 {
        self.average(self.recall_per_class(), average, |m| {
            let (tp, _, fn_, _) = m.pooled();
            ratio(tp, tp + fn_)
        })
    }

    /// F1 averaged over classes (macro: the mean of per-class F1, as scikit-learn does).
    pub fn f1_average(&self, average: Average) -> f64 {
        self.average(self.f1_per_class(), average, |m| {
            let (tp, fp, fn_, _) = m.pooled();
            ratio(2.0 * tp, 2.0 * tp + fp + fn_)
        })
    }

    /// Specificity averaged over classes.
    pub fn specificity_average(&self, average: Average) -> f64 {
        self.average(self.specificity_per_class(), average, |m| {
            let (_, fp, _, tn) = m.pooled();
            ratio(tn, tn + fp)
        })
    }
}

impl fmt::Display for ConfusionMatrix {
    /// A table with actual classes down and predicted classes across.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.counts.iter().map(|c| c.to_string().len()).max().unwrap_or(1).max(3);
        write!(f, "actual\\pred")?;
        for p in 0..self.classes {
            write!(f, " {p:>width$}")?;
        }
        for a in 0..self.classes {
            write!(f, "\n{a:>11}")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.get(a, p))?;
            }
        }
        Ok(())
    }
}
