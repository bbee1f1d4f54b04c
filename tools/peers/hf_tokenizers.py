"""Hugging Face `tokenizers` beside Kindling's byte-level BPE (crates/data/benches/tokenize.rs):
train a ByteLevel BPE (no prefix space, min_frequency 2) on Tiny Shakespeare with the same
vocabulary size, then time `encode_batch` over the lines and `encode` of the whole text,
median of N rounds after a warm-up round, MB/s and tokens/s.

    KINDLING_DATASETS=/work/shared/datasets /work/venv/bin/python tools/peers/hf_tokenizers.py \
        [--vocab 5000] [--rounds 7] [--threads 1,default] [--save DIR]

`--save DIR` writes the trained model's vocab.json and merges.txt there (the bench's `--hf DIR`
checks that Kindling learns the same merges and gives the same ids).

Each thread setting runs in a fresh subprocess, because `tokenizers` reads RAYON_NUM_THREADS
once, when its thread pool starts. "1" sets RAYON_NUM_THREADS=1 (and TOKENIZERS_PARALLELISM=false);
"default" leaves both unset (all cores). Training uses the same thread setting.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time


def run_one(vocab, rounds, save):
    from tokenizers import ByteLevelBPETokenizer

    path = os.path.join(os.environ["KINDLING_DATASETS"], "tinyshakespeare", "input.txt")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    mb = len(text.encode("utf-8")) / 1e6

    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    start = time.perf_counter()
    tok.train([path], vocab_size=vocab, min_frequency=2, show_progress=False, special_tokens=[])
    train_s = time.perf_counter() - start
    print(f"train: vocab {vocab}, {train_s:.3f} s ({tok.get_vocab_size()} tokens)")

    if save:
        os.makedirs(save, exist_ok=True)
        tok.save_model(save)
    line_s, whole_s = [], []
    line_tokens = whole_tokens = 0
    for round_ in range(rounds + 1):
        start = time.perf_counter()
        line_tokens = sum(len(e.ids) for e in tok.encode_batch(lines))
        t_lines = time.perf_counter() - start
        start = time.perf_counter()
        whole_tokens = len(tok.encode(text).ids)
        t_whole = time.perf_counter() - start
        if round_ > 0:  # round 0 warms up and is not counted
            line_s.append(t_lines)
            whole_s.append(t_whole)
    for name, times, tokens in (("lines", line_s, line_tokens), ("whole", whole_s, whole_tokens)):
        s = statistics.median(times)
        print(f"encode {name:>5}: {s * 1e3:8.2f} ms  {mb / s:7.2f} MB/s  {tokens / s / 1e6:6.2f} M tokens/s  ({tokens} tokens)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", default="1,default")
    parser.add_argument("--save", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.vocab, args.rounds, args.save)
        return
    for threads in args.threads.split(","):
        env = dict(os.environ)
        for name in ("RAYON_NUM_THREADS", "RAYON_RS_NUM_CPUS", "TOKENIZERS_PARALLELISM"):
            env.pop(name, None)
        if threads != "default":
            env["RAYON_NUM_THREADS"] = threads
            env["TOKENIZERS_PARALLELISM"] = "false" if threads == "1" else "true"
        print(f"== Hugging Face tokenizers, threads: {threads}", flush=True)
        cmd = [sys.executable, __file__, "--child", "--vocab", str(args.vocab), "--rounds", str(args.rounds), "--save", args.save]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
