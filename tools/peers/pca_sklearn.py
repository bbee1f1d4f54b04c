"""scikit-learn's side of crates/classic/examples/pca_vs_sklearn.rs: PCA(2) and
AgglomerativeClustering(10, ward) fitted on the standardised optdigits training file, median
fit times over the given repeats, printed as one JSON line. Run with one thread:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 KINDLING_DATASETS=/work/shared/datasets \
        /work/venv/bin/python tools/peers/pca_sklearn.py 7
"""
import json
import os
import statistics
import sys
import time

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
train = np.loadtxt(os.path.join(os.environ["KINDLING_DATASETS"], "optdigits", "optdigits.tra"), delimiter=",")
x = StandardScaler().fit_transform(train[:, :-1])
pca_times, ward_times = [], []
for _ in range(repeats):
    for _ in range(8):  # PCA is far quicker: eight times as many repeats
        start = time.perf_counter()
        pca = PCA(2).fit(x)
        pca_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    ward = AgglomerativeClustering(10, linkage="ward").fit(x)
    ward_times.append(time.perf_counter() - start)
print(json.dumps({
    "side": "scikit-learn",
    "pca_fit_s": statistics.median(pca_times),
    "ward_fit_s": statistics.median(ward_times),
    "pca_ratio_sum": float(pca.explained_variance_ratio_.sum()),
    "ward_ari": adjusted_rand_score(train[:, -1], ward.labels_),
}))
