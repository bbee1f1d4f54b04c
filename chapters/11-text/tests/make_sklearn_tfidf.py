"""Prints the scikit-learn numbers that tests/exercises.rs (ex11_3_matches_scikit_learn) asserts:
TfidfVectorizer with its defaults on token lists given as they are (the analyzer returns each
document unchanged), with and without sublinear tf.

    python chapters/11-text/tests/make_sklearn_tfidf.py     # scikit-learn 1.9
"""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

DOCS = [["I", "love", "NLP"], ["I", "love", "machine", "learning"], ["I", "love", "love", "Rust"]]

np.set_printoptions(precision=15)
for sublinear in (False, True):
    vectorizer = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=sublinear)
    matrix = vectorizer.fit_transform(DOCS).toarray()
    print(f"sublinear_tf={sublinear}, vocabulary {list(vectorizer.get_feature_names_out())}")
    for row in matrix:
        print("  ", ", ".join(f"{v:.15f}" for v in row))
