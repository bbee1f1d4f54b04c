"""gensim's word2vec on Tiny Shakespeare, the peer of crates/sequence/benches/word2vec.rs.

Same tokenisation (lowercase, runs of ASCII letters, one sentence per non-empty line) and
settings (dim 100, window 5, negative 5, min_count 5, sample 1e-3, alpha 0.025, min_alpha 1e-4).
Times `model.train` only (the vocabulary is built before, as the Rust bench times only the
epochs). gensim's `train` returns (effective words, raw words) summed over epochs: effective
words are the in-vocabulary tokens kept by subsampling, which is what its log's
"effective words/s" counts; both rates are printed.

    python tools/peers/gensim_word2vec.py [--workers 1,2] [--epochs 5] [--sg | --cbow]
        [--rounds 3] [--neighbours king,queen,love,death,rome,father]
"""

import argparse
import os
import re
import statistics
import time

from gensim.models import Word2Vec


ANALOGIES = [("man", "king", "woman"), ("father", "son", "mother"), ("he", "his", "she")]


def tokenise(text):
    out = []
    for line in text.splitlines():
        words = re.findall(r"[a-z]+", line.lower())
        if words:
            out.append(words)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", default="1,2")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cbow", action="store_true")
    p.add_argument("--sg", action="store_true")
    p.add_argument("--neighbours", default="king,queen,love,death,rome,father")
    args = p.parse_args()
    root = os.environ.get("KINDLING_DATASETS", "/work/shared/datasets")
    with open(os.path.join(root, "tinyshakespeare/input.txt"), encoding="utf-8") as f:
        sentences = tokenise(f.read())
    raw = sum(len(s) for s in sentences)
    sg = 0 if args.cbow else 1
    name = "Cbow" if args.cbow else "SkipGram"
    print(f"corpus: {len(sentences)} sentences, {raw} words; {name}, {args.epochs} epochs")
    workers = [int(w) for w in args.workers.split(",")]
    for w in workers:
        effs, raws = [], []
        model = None
        for r in range(args.rounds):
            model = Word2Vec(vector_size=100, window=5, negative=5, hs=0, min_count=5, sample=1e-3,
                             alpha=0.025, min_alpha=1e-4, sg=sg, cbow_mean=1, workers=w, seed=1 + r)
            model.build_vocab(sentences)
            start = time.perf_counter()
            effective, raw_done = model.train(sentences, total_examples=model.corpus_count, epochs=args.epochs)
            seconds = time.perf_counter() - start
            effs.append(effective / seconds)
            raws.append(raw_done / seconds)
            print(f"  gensim workers={w}: {effs[-1]:.0f} effective words/s, {raws[-1]:.0f} raw words/s, "
                  f"{seconds:.3f} s, vocab {len(model.wv)}")
        print(f"gensim {name} workers={w}: median {statistics.median(effs):.0f} effective words/s, "
              f"{statistics.median(raws):.0f} raw words/s")
        if w == workers[0]:
            for probe in args.neighbours.split(","):
                if probe in model.wv:
                    near = ", ".join(f"{x} {s:.2f}" for x, s in model.wv.most_similar(probe, topn=10))
                    print(f"  {probe}: {near}")
            for a, b, c in ANALOGIES:
                if all(x in model.wv for x in (a, b, c)):
                    near = ", ".join(f"{x} {s:.2f}" for x, s in model.wv.most_similar(positive=[b, c], negative=[a], topn=5))
                    print(f"  {a} : {b} :: {c} : {near}")


if __name__ == "__main__":
    main()
