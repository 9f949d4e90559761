#!/usr/bin/python3
"""Sentiment quality of koko and its peers on one fixed split, side by side (3-class macro-F1).

English: womens-clothing-reviews, text = Title + ". " + Review Text (empty reviews left out), label from Rating
(1-2 negative, 3 neutral, 4-5 positive); test = rows whose index % 5 == 4, train = the rest (as tests/unit/test_voice_data.hpp).
Japanese: ja-hotel-review-sentences/pn.tsv; train = its train split; evaluation = dev + test (1,665 sentences).
The Japanese data is CC BY-NC-SA: it is read in place and nothing derived from it is kept (the koko model trained
here lives in a temporary workspace that is deleted).

Peers: VADER (npm vader-sentiment; thresholds ±0.05, and thresholds tuned on the training part), AFINN-165 (npm
sentiment; sign of the score), scikit-learn TF-IDF + logistic regression (Debian python3-sklearn), negaposi (npm),
TF-IDF over MeCab tokens (python3-mecab) and over character 1-3-grams.

Usage: bench/voice_peers.py [--koko build/koko]   (installs the npm peers under bench/out/peers on first use)
Prints a markdown table for docs/voice.md.
"""
import argparse
import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = os.environ.get("KOKO_DATA") or os.path.join(REPO, "..", "shared", "data")


def clothing():
    path = os.path.join(DATA, "womens-clothing-reviews", "womens_clothing_reviews.csv.gz")
    if not os.path.exists(path):
        sys.exit(f"missing data set: womens-clothing-reviews ({path}); set KOKO_DATA")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            review = r["Review Text"]
            if not review:
                continue
            title = r["Title"]
            if title and title[-1] not in ".!?":
                title += "."
            text = f"{title} {review}" if title else review
            rating = int(r["Rating"])
            label = -1 if rating <= 2 else (0 if rating == 3 else 1)
            rows.append((text, label, int(r[""]) % 5 == 4))
    return rows


def hotel():
    path = os.path.join(DATA, "ja-hotel-review-sentences", "pn.tsv")
    if not os.path.exists(path):
        sys.exit(f"missing data set: ja-hotel-review-sentences ({path}); set KOKO_DATA")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            rows.append((p[2], int(p[1]), p[4] != "train"))
    return rows


def macro_f1(truth, pred):
    return f1_score(truth, pred, labels=[-1, 0, 1], average="macro")


def by_threshold(scores, pos, neg):
    return [1 if s >= pos else (-1 if s <= neg else 0) for s in scores]


def tune_thresholds(scores, truth):
    best = (-1, 0.05, -0.05)
    grid = [x / 100 for x in range(-95, 100, 5)]
    for pos in grid:
        for neg in grid:
            if neg >= pos:
                continue
            f = macro_f1(truth, by_threshold(scores, pos, neg))
            if f > best[0]:
                best = (f, pos, neg)
    return best[1], best[2]


def sklearn_lr(train, test, **vec):
    v = TfidfVectorizer(**vec)
    x = v.fit_transform([t for t, _ in train])
    model = LogisticRegression(max_iter=1000)
    model.fit(x, [y for _, y in train])
    t0 = time.perf_counter()
    pred = model.predict(v.transform([t for t, _ in test]))
    return list(pred), time.perf_counter() - t0


def npm_peers():
    peers = os.path.join(HERE, "out", "peers")
    if not os.path.exists(os.path.join(peers, "node_modules", "negaposi")):
        os.makedirs(peers, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", peers, "--no-audit", "--no-fund", "vader-sentiment@1.1.3",
                        "sentiment@5.0.2", "negaposi@1.3.3"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(peers, "node_modules")


def koko_quality(koko, train, test, tmp):
    """Trains koko on the training part in a throw-away workspace; returns (lexicon F1, classifier F1)."""
    def write(rows, name):
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            for t, y in rows:
                w.writerow([t, y])
        return path

    ws = os.path.join(tmp, "koko.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(ws + suffix):
            os.remove(ws + suffix)
    train_csv, test_csv = write(train, "train.csv"), write(test, "test.csv")
    subprocess.run([koko, "-q", "-w", ws, "voice", "sentiment", "train", train_csv], check=True)
    out = subprocess.run([koko, "-w", ws, "voice", "sentiment", "eval", test_csv, "--json"], check=True,
                         capture_output=True, text=True).stdout
    res = json.loads(out)
    return res["lexicon"]["macro_f1"], res["model"]["macro_f1"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--koko", default=os.path.join(REPO, "build", "koko"))
    args = ap.parse_args()
    en, ja = clothing(), hotel()
    en_train = [(t, y) for t, y, test in en if not test]
    en_test = [(t, y) for t, y, test in en if test]
    ja_train = [(t, y) for t, y, test in ja if not test]
    ja_test = [(t, y) for t, y, test in ja if test]
    en_truth = [y for _, y in en_test]
    ja_truth = [y for _, y in ja_test]
    rows = []

    with tempfile.TemporaryDirectory() as tmp:
        node_in, node_out = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        with open(node_in, "w", encoding="utf-8") as f:
            json.dump({"en": [t for t, _, _ in en], "ja": [t for t, _, _ in ja]}, f)
        env = dict(os.environ, KOKO_PEERS=npm_peers())
        subprocess.run(["node", os.path.join(HERE, "voice_peers.js"), node_in, node_out], check=True, env=env)
        with open(node_out, encoding="utf-8") as f:
            lex = json.load(f)
        en_mb = sum(len(t.encode()) for t, _, _ in en) / 1e6
        ja_mb = sum(len(t.encode()) for t, _, _ in ja) / 1e6

        def split_scores(name, data):
            s = lex[name]["scores"]
            return [s[i] for i, r in enumerate(data) if not r[2]], [s[i] for i, r in enumerate(data) if r[2]]

        v_train, v_test = split_scores("vader", en)
        rows.append(("English", "VADER (±0.05)", macro_f1(en_truth, by_threshold(v_test, 0.05, -0.05)), "none",
                     en_mb / lex["vader"]["seconds"]))
        pos, neg = tune_thresholds(v_train, [y for _, y in en_train])
        rows.append(("English", f"VADER, thresholds tuned on train ({pos:+.2f}/{neg:+.2f})",
                     macro_f1(en_truth, by_threshold(v_test, pos, neg)), "thresholds", None))
        _, a_test = split_scores("afinn", en)
        rows.append(("English", "AFINN-165 (sign)", macro_f1(en_truth, by_threshold(a_test, 1e-9, -1e-9)), "none",
                     en_mb / lex["afinn"]["seconds"]))
        pred, _ = sklearn_lr(en_train, en_test)
        rows.append(("English", "scikit-learn TF-IDF words + LR", macro_f1(en_truth, pred), "train split", None))

        _, n_test = split_scores("negaposi", ja)
        rows.append(("Japanese", "negaposi (sign)", macro_f1(ja_truth, by_threshold(n_test, 1e-9, -1e-9)), "none",
                     ja_mb / lex["negaposi"]["seconds"]))
        import MeCab
        wakati = MeCab.Tagger("-Owakati -r /var/lib/mecab/dic/ipadic-utf8/dicrc -d /var/lib/mecab/dic/ipadic-utf8")
        tok = lambda s: wakati.parse(s).split()
        pred, _ = sklearn_lr(ja_train, ja_test, tokenizer=tok, lowercase=False, token_pattern=None)
        rows.append(("Japanese", "scikit-learn TF-IDF MeCab tokens + LR", macro_f1(ja_truth, pred), "train split", None))
        pred, _ = sklearn_lr(ja_train, ja_test, analyzer="char", ngram_range=(1, 3))
        rows.append(("Japanese", "scikit-learn TF-IDF char 1-3-grams + LR", macro_f1(ja_truth, pred), "train split",
                     None))

        if os.path.exists(args.koko):
            l, m = koko_quality(args.koko, en_train, en_test, tmp)
            rows.append(("English", "**koko lexicon**", l, "none", None))
            rows.append(("English", "**koko classifier**", m, "train split", None))
            l, m = koko_quality(args.koko, ja_train, ja_test, tmp)
            rows.append(("Japanese", "**koko lexicon**", l, "none", None))
            rows.append(("Japanese", "**koko classifier**", m, "train split", None))
        else:
            print(f"(koko not built at {args.koko}: its rows are left out)", file=sys.stderr)

    print(f"English: {len(en_train)} train / {len(en_test)} test texts; Japanese: {len(ja_train)} train / "
          f"{len(ja_test)} evaluation sentences\n")
    print("| language | method | training | macro-F1 | scoring MB/s |")
    print("|---|---|---|---:|---:|")
    for lang, name, f1, training, mbs in rows:
        print(f"| {lang} | {name} | {training} | {f1:.3f} | {'' if mbs is None else f'{mbs:.2f}'} |")


if __name__ == "__main__":
    main()
