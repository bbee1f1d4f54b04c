"""scikit-learn's side of crates/classic/examples/classic_vs_sklearn.rs.

Reads the split positions the Rust example wrote (--splits) and the cases it ran (--cases, its
--results file), fits the same estimators with the same hyperparameters on the same rows
(standardised with a scaler fitted on the training part; MultinomialNB on the raw optdigits
counts), and writes the score and the median fit and predict times per case (--results).
Run it with one thread (the driver tools/peers/classic_compare.py sets the variables):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /work/venv/bin/python \
        tools/peers/classic_sklearn.py --splits /tmp/splits.json --cases /tmp/rust.json --results /tmp/py.json
"""
import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np
from sklearn import cluster, ensemble, linear_model, mixture, naive_bayes, neighbors, svm, tree
from sklearn.metrics import accuracy_score, adjusted_rand_score, r2_score
from sklearn.preprocessing import StandardScaler

# The estimators by the names the Rust side uses, with the same hyperparameters.
ESTIMATORS = {
    "NearestCentroid": lambda: neighbors.NearestCentroid(),
    "LogisticRegression": lambda: linear_model.LogisticRegression(C=1.0, max_iter=1000),
    "LogisticRegression(L1)": lambda: linear_model.LogisticRegression(
        C=1.0, l1_ratio=1.0, solver="saga", max_iter=1000, random_state=0
    ),
    "Perceptron": lambda: linear_model.Perceptron(random_state=0),
    "Perceptron(no shuffle)": lambda: linear_model.Perceptron(shuffle=False),
    "KNeighborsClassifier(5)": lambda: neighbors.KNeighborsClassifier(5),
    "GaussianNB": lambda: naive_bayes.GaussianNB(),
    "MultinomialNB": lambda: naive_bayes.MultinomialNB(alpha=1.0),
    "BernoulliNB": lambda: naive_bayes.BernoulliNB(alpha=1.0, binarize=0.0),
    "LinearRegression": lambda: linear_model.LinearRegression(),
    "Ridge(1.0)": lambda: linear_model.Ridge(alpha=1.0),
    "Lasso(0.1)": lambda: linear_model.Lasso(alpha=0.1),
    "ElasticNet(0.1, 0.5)": lambda: linear_model.ElasticNet(alpha=0.1, l1_ratio=0.5),
    "KNeighborsRegressor(5)": lambda: neighbors.KNeighborsRegressor(5),
    # Chapter 17: trees and forests.
    "DecisionTreeClassifier": lambda: tree.DecisionTreeClassifier(random_state=0),
    "RandomForestClassifier(100)": lambda: ensemble.RandomForestClassifier(100, random_state=0),
    "ExtraTreesClassifier(100)": lambda: ensemble.ExtraTreesClassifier(100, random_state=0),
    "DecisionTreeRegressor": lambda: tree.DecisionTreeRegressor(random_state=0),
    "RandomForestRegressor(100)": lambda: ensemble.RandomForestRegressor(100, random_state=0),

    # Chapter 17: AdaBoost and gradient boosting.
    "AdaBoostClassifier(100)": lambda: ensemble.AdaBoostClassifier(n_estimators=100, random_state=0),
    "GradientBoostingClassifier(100)": lambda: ensemble.GradientBoostingClassifier(n_estimators=100, random_state=0),
    "GradientBoostingRegressor(100)": lambda: ensemble.GradientBoostingRegressor(n_estimators=100, random_state=0),

    # Chapter 17: histogram gradient boosting.
    "HistGradientBoostingClassifier(100)": lambda: ensemble.HistGradientBoostingClassifier(
        max_iter=100, early_stopping=False, random_state=0
    ),
    "HistGradientBoostingRegressor(100)": lambda: ensemble.HistGradientBoostingRegressor(
        max_iter=100, early_stopping=False, random_state=0
    ),

    # Chapter 17: support vector machines.
    "SVC(rbf)": lambda: svm.SVC(C=1.0, kernel="rbf", gamma="scale"),
    "SVC(linear)": lambda: svm.SVC(C=1.0, kernel="linear"),
    "SVC(poly)": lambda: svm.SVC(C=1.0, kernel="poly", degree=3, coef0=0.0, gamma="scale"),

}
# Read on the raw features (counts), not standardised ones.
RAW = {"MultinomialNB"}

# Chapter 17: clustering and PCA (unsupervised rows). Fitted on the standardised training rows;
# the score is the adjusted Rand index of their clusters against the true labels, and predict
# is timed on the test rows (classic_vs_sklearn.rs's measure_unsupervised).
UNSUPERVISED = {
    "KMeans(10)": lambda: cluster.KMeans(10, n_init=10, random_state=0),
    "MiniBatchKMeans(10)": lambda: cluster.MiniBatchKMeans(10, n_init=3, random_state=0),
    "GaussianMixture(10, diag)": lambda: mixture.GaussianMixture(10, covariance_type="diag", random_state=0),
    # Agglomerative clustering and PCA rows (lead adds)
}


def measure_unsupervised(make, data, repeats):
    x_train, x_test, y_train, _, _ = data
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    fits, predicts, score = [], [], float("nan")
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(x_train)
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict(x_test)
        predicts.append(time.perf_counter() - start)
        labels = model.labels_ if hasattr(model, "labels_") else model.predict(x_train)
        score = adjusted_rand_score(y_train, labels)
    return float(score), statistics.median(fits), statistics.median(predicts)


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    target = header.index("target")
    return np.delete(data, target, axis=1), data[:, target]


def read_iris(path):
    x, y, names = [], [], []
    for line in open(path):
        cells = line.strip().split(",")
        if len(cells) != 5:
            continue
        if cells[4] not in names:
            names.append(cells[4])
        x.append([float(c) for c in cells[:4]])
        y.append(names.index(cells[4]))
    return np.array(x), np.array(y)


def load(root, splits):
    """Each dataset as (x_train, x_test, y_train, y_test, regression?)."""
    out = {}
    tra = np.loadtxt(os.path.join(root, "optdigits", "optdigits.tra"), delimiter=",")
    tes = np.loadtxt(os.path.join(root, "optdigits", "optdigits.tes"), delimiter=",")
    s = splits["optdigits"]
    out["optdigits"] = (tra[s["train"], :-1], tes[s["test"], :-1], tra[s["train"], -1].astype(int),
                        tes[s["test"], -1].astype(int), False)
    small = os.path.join(root, "sklearn-small")
    tables = {
        "iris": read_iris(os.path.join(root, "iris", "iris.data")),
        "breast_cancer": read_csv(os.path.join(small, "breast_cancer.csv")),
        "wine": read_csv(os.path.join(small, "wine.csv")),
        "diabetes": read_csv(os.path.join(small, "diabetes.csv")),
    }
    for name, (x, y) in tables.items():
        s = splits[name]
        regression = name == "diabetes"
        y = y if regression else y.astype(int)
        out[name] = (x[s["train"]], x[s["test"]], y[s["train"]], y[s["test"]], regression)
    return out


def sklearn_splits(root):
    """scikit-learn's own train_test_split(test_size=0.3, random_state=0), stratified for the
    classification tables: the split behind the course's published figures."""
    from sklearn.model_selection import train_test_split

    n_tra = sum(1 for line in open(os.path.join(root, "optdigits", "optdigits.tra")) if line.strip())
    n_tes = sum(1 for line in open(os.path.join(root, "optdigits", "optdigits.tes")) if line.strip())
    out = {"optdigits": {"train": list(range(n_tra)), "test": list(range(n_tes))}}
    small = os.path.join(root, "sklearn-small")
    tables = {
        "iris": read_iris(os.path.join(root, "iris", "iris.data")),
        "breast_cancer": read_csv(os.path.join(small, "breast_cancer.csv")),
        "wine": read_csv(os.path.join(small, "wine.csv")),
        "diabetes": read_csv(os.path.join(small, "diabetes.csv")),
    }
    for name, (x, y) in tables.items():
        stratify = None if name == "diabetes" else y
        train, test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=stratify)
        out[name] = {"train": train.tolist(), "test": test.tolist()}
    return out


def measure(make, data, raw, repeats):
    x_train, x_test, y_train, y_test, regression = data
    if not raw:
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    fits, predicts, score = [], [], float("nan")
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(x_train, y_train)
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        predicted = model.predict(x_test)
        predicts.append(time.perf_counter() - start)
        score = r2_score(y_test, predicted) if regression else accuracy_score(y_test, predicted)
    return float(score), statistics.median(fits), statistics.median(predicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=os.environ.get("KINDLING_DATASETS"))
    parser.add_argument("--splits", help="the split positions the Rust side used")
    parser.add_argument("--cases", help="the Rust side's results JSON (its case list)")
    parser.add_argument("--results")
    parser.add_argument("--make-splits", help="only write scikit-learn's own splits to this file")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.datasets:
        raise SystemExit("set KINDLING_DATASETS or pass --datasets (the folder holding sklearn-small/, optdigits/, iris/)")
    if args.make_splits:
        with open(args.make_splits, "w") as f:
            json.dump(sklearn_splits(args.datasets), f)
        return
    if not (args.splits and args.cases and args.results):
        raise SystemExit("classic_sklearn.py: give --splits, --cases and --results (or --make-splits)")
    warnings.simplefilter("ignore")  # convergence warnings are part of the comparison, not errors
    data = load(args.datasets, json.load(open(args.splits)))
    rows = []
    for case in json.load(open(args.cases)):
        name = case["estimator"]
        if name in UNSUPERVISED:
            score, fit_s, predict_s = measure_unsupervised(UNSUPERVISED[name], data[case["dataset"]], args.repeats)
            rows.append({"dataset": case["dataset"], "estimator": name, "score": score, "fit_s": fit_s,
                         "predict_s": predict_s})
            continue
        if name not in ESTIMATORS:
            raise SystemExit(f"classic_sklearn.py: no scikit-learn estimator is named {name!r}; add it to ESTIMATORS")
        score, fit_s, predict_s = measure(ESTIMATORS[name], data[case["dataset"]], name in RAW, args.repeats)
        rows.append({"dataset": case["dataset"], "estimator": name, "score": score, "fit_s": fit_s,
                     "predict_s": predict_s})
    with open(args.results, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
