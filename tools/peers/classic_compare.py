"""Kindling's classic estimators beside scikit-learn: runs the Rust example
(crates/classic/examples/classic_vs_sklearn.rs) and tools/peers/classic_sklearn.py in
alternating rounds (Rust, Python, Rust, Python, ...), both on one thread, and prints one
markdown table: score on both sides, median fit and predict times on both sides and their
ratios (Kindling / scikit-learn: below 1 means Kindling is faster).

    KINDLING_DATASETS=/work/shared/datasets /work/venv/bin/python tools/peers/classic_compare.py \
        --rounds 3 --repeats 5 --workdir /tmp/classic-compare

Each side's time per case is the median over its repeats within a round; the table shows the
median of those over the rounds. Split positions and per-round results go to --workdir
(outside the repository).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ONE_THREAD = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def run(cmd, env):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", default="/tmp/classic-compare")
    parser.add_argument("--only", help="only the cases whose 'dataset/estimator' contains this")
    parser.add_argument("--no-build", action="store_true", help="use the example binary already built")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--sklearn-splits", action="store_true",
                        help="both sides use scikit-learn's train_test_split(random_state=0) positions "
                             "(the course's figures) instead of kindling-data's seed-0 split")
    args = parser.parse_args()
    env = dict(os.environ, **ONE_THREAD)
    if not env.get("KINDLING_DATASETS"):
        raise SystemExit("set KINDLING_DATASETS to the folder holding optdigits/, iris/ and sklearn-small/")
    os.makedirs(args.workdir, exist_ok=True)
    if not args.no_build:
        run(["cargo", "build", "--release", "-p", "kindling-classic", "--example", "classic_vs_sklearn"], env)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "examples", "classic_vs_sklearn")
    splits = os.path.join(args.workdir, "splits.json")

    given = []
    if args.sklearn_splits:
        made = os.path.join(args.workdir, "sklearn-splits.json")
        run([args.python, os.path.join(HERE, "classic_sklearn.py"), "--make-splits", made], env)
        given = ["--read-splits", made]

    rounds = {"rust": [], "python": []}
    for r in range(args.rounds):
        rust_out = os.path.join(args.workdir, f"rust-{r}.json")
        py_out = os.path.join(args.workdir, f"python-{r}.json")
        cmd = [binary, "--splits", splits, "--results", rust_out, "--repeats", str(args.repeats)] + given
        if args.only:
            cmd += ["--only", args.only]
        run(cmd, env)
        run([args.python, os.path.join(HERE, "classic_sklearn.py"), "--splits", splits, "--cases", rust_out,
             "--results", py_out, "--repeats", str(args.repeats)], env)
        rounds["rust"].append(json.load(open(rust_out)))
        rounds["python"].append(json.load(open(py_out)))

    def summary(side):
        cases = {}
        for results in rounds[side]:
            for row in results:
                key = (row["dataset"], row["estimator"])
                number = lambda v: float("nan") if v is None else v  # a failed case is null
                entry = cases.setdefault(key, {"score": number(row["score"]), "fit": [], "predict": []})
                entry["fit"].append(number(row["fit_s"]))
                entry["predict"].append(number(row["predict_s"]))
        return {k: (v["score"], statistics.median(v["fit"]), statistics.median(v["predict"])) for k, v in cases.items()}

    rust, python = summary("rust"), summary("python")
    source = "scikit-learn's train_test_split(random_state=0)" if args.sklearn_splits else "kindling-data, seed 0"
    print(f"Median of {args.rounds} alternating rounds x {args.repeats} repeats, one thread; times in ms; "
          f"ratio = Kindling / scikit-learn (below 1: Kindling faster); splits from {source}.\n")
    print("| dataset | estimator | score Kindling | score sklearn | Δ points | fit Kindling | fit sklearn | fit ratio "
          "| predict Kindling | predict sklearn | predict ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key, (score, fit, predict) in rust.items():
        p_score, p_fit, p_predict = python[key]
        print(f"| {key[0]} | {key[1]} | {score:.4f} | {p_score:.4f} | {(score - p_score) * 100:+.2f} | "
              f"{fit * 1e3:.3g} | {p_fit * 1e3:.3g} | "
              f"{fit / p_fit:.3g} | {predict * 1e3:.3g} | {p_predict * 1e3:.3g} | {predict / p_predict:.3g} |")


if __name__ == "__main__":
    main()
