"""gensim's twin of chapter 11's word2vec run: the same words, settings and queries as
`cargo run --release -p ch11-text -- --full`, written beside the demo's tables so that the book
can show both lists.

Tokenisation as `ch11_text::word_sentences` (one sentence per non-empty line, lowercased, runs
of ASCII letters); skip-gram, 100 dimensions, window 5, 5 negatives, min_count 5, sample 1e-3,
alpha 0.025 down to 1e-4, 50 epochs (`--epochs` changes it), one worker (as the demo's one
thread, so that a run is reproducible), seed 1.
Writes book/src/generated/11-text/neighbours-gensim.md and analogy-gensim.md.

    PYTHONHASHSEED=0 KINDLING_DATASETS=... python tools/peers/gensim_ch11_neighbours.py [--epochs 50]
"""

import argparse
import os
import re
import time

from gensim.models import Word2Vec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "book", "src", "generated", "11-text")
PROBES = ["king", "queen", "love", "death", "rome", "father", "sword", "night"]
ANALOGIES = [
    ("man", "king", "woman", "queen"),
    ("he", "his", "she", "her"),
    ("father", "son", "mother", "daughter"),
    ("brother", "sister", "uncle", "aunt"),
    ("rome", "romans", "england", "english"),
]


def sentences(text):
    out = []
    for line in text.splitlines():
        words = re.findall(r"[a-z]+", line.lower())
        if words:
            out.append(words)
    return out


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write(name, text):
    path = os.path.join(OUT, name)
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)
    print("wrote", os.path.relpath(path, ROOT))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=50)
    args = p.parse_args()
    root = os.environ.get("KINDLING_DATASETS")
    if not root:
        raise SystemExit("set KINDLING_DATASETS to the folder holding tinyshakespeare/input.txt")
    with open(os.path.join(root, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        corpus = sentences(f.read())
    start = time.perf_counter()
    model = Word2Vec(corpus, vector_size=100, window=5, negative=5, hs=0, min_count=5, sample=1e-3,
                     alpha=0.025, min_alpha=1e-4, sg=1, workers=1, seed=1, epochs=args.epochs)
    print(f"gensim: {args.epochs} epochs in {time.perf_counter() - start:.1f} s, vocabulary {len(model.wv)}")
    rows = []
    for word in PROBES:
        if word in model.wv:
            near = ", ".join(f"{w} ({s:.2f})" for w, s in model.wv.most_similar(word, topn=8))
            rows.append([f"**{word}**", near])
    write("neighbours-gensim.md", table(["word", "nearest words in gensim (cosine)"], rows))
    rows = []
    for a, b, c, expected in ANALOGIES:
        if not all(w in model.wv for w in (a, b, c, expected)):
            continue
        ranked = model.wv.most_similar(positive=[b, c], negative=[a], topn=len(model.wv))
        top = ", ".join(f"{w} ({s:.2f})" for w, s in ranked[:5])
        rank = next((i + 1 for i, (w, _) in enumerate(ranked) if w == expected), None)
        rows.append([f"{a} : {b} :: {c} : ?", top, expected, str(rank) if rank else "–"])
    write("analogy-gensim.md", table(["question", "top 5 in gensim (cosine)", "expected", "its rank"], rows))


if __name__ == "__main__":
    main()
