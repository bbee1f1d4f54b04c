"""scikit-learn's TfidfVectorizer on Tiny Shakespeare, one document per speech, timed as
crates/data/examples/tfidf_speed.rs times kindling's (median of 7 runs each).

    KINDLING_DATASETS=../shared/datasets /work/venv/bin/python tools/peers/tfidf_sklearn.py
"""
import os
import statistics
import time

from sklearn.feature_extraction.text import TfidfVectorizer

REPEATS = 7


def median_seconds(run):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


path = os.path.join(os.environ["KINDLING_DATASETS"], "tinyshakespeare", "input.txt")
with open(path, encoding="utf-8") as f:
    docs = [d for d in f.read().split("\n\n") if d.strip()]
tfidf = TfidfVectorizer(max_features=2000)
fit = median_seconds(lambda: tfidf.fit(docs))
sparse = median_seconds(lambda: tfidf.transform(docs))
dense = median_seconds(lambda: tfidf.transform(docs).toarray())
print(f"sklearn docs={len(docs)} terms={len(tfidf.vocabulary_)} fit_ms={fit * 1e3:.1f} "
      f"transform_sparse_ms={sparse * 1e3:.1f} transform_dense_ms={dense * 1e3:.1f}")
