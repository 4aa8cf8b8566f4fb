"""Accuracy parity: PrunedMLPClassifier against scikit-learn's MLPClassifier, defaults of both.

Iris, wine, breast cancer and digits; ``make_pipeline(StandardScaler(), estimator)``;
5-fold stratified cross-validation (shuffled, a different split per seed) and 5
seeds, the seed being both the split's and the estimators' ``random_state``. Three
estimators with their default parameters: ``MLPClassifier()``,
``PrunedMLPClassifier(sparsity=0)`` and ``PrunedMLPClassifier()`` (default sparsity
0.5). BLAS runs on one thread for all three (threadpoolctl), and they alternate
fold by fold so that load from other processes falls on all alike.

    python benchmarks/estimator_parity.py                    # 4 data sets, 5 seeds, 5 folds
    python benchmarks/estimator_parity.py --data wine --seeds 2

Prints, per data set: mean accuracy (%) over seeds x folds and its sd across the
seed means, the differences from MLPClassifier in points (targets: within 1 point
at sparsity=0, within 2 at the default sparsity), the median epochs run, how many
fits stopped at their budget (ConvergenceWarning), and the ratio of total fit
time to MLPClassifier's, measured in this run.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from minprune import PrunedMLPClassifier

DATA = {"iris": datasets.load_iris, "wine": datasets.load_wine,
        "breast cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}
ESTIMATORS = {
    "sklearn": lambda seed: MLPClassifier(random_state=seed),
    "pruned s=0": lambda seed: PrunedMLPClassifier(sparsity=0, random_state=seed),
    "pruned default": lambda seed: PrunedMLPClassifier(random_state=seed),
}


def fit_and_score(make, seed, X, y, train, test):
    """One fold: (accuracy, fit seconds, epochs, stopped at the budget?)."""
    pipe = make_pipeline(StandardScaler(), make(seed))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        pipe.fit(X[train], y[train])
        seconds = time.perf_counter() - t0
    capped = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return pipe.score(X[test], y[test]), seconds, pipe[-1].n_iter_, capped


def run(name, seeds, folds):
    X, y = DATA[name](return_X_y=True)
    acc = {k: np.zeros((len(seeds), folds)) for k in ESTIMATORS}
    secs = {k: 0.0 for k in ESTIMATORS}
    epochs = {k: [] for k in ESTIMATORS}
    capped = {k: 0 for k in ESTIMATORS}
    for i, seed in enumerate(seeds):
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)
        for j, (train, test) in enumerate(splits):
            order = list(ESTIMATORS)
            order = order[j % 3:] + order[:j % 3]  # rotate who goes first
            for k in order:
                a, s, n, c = fit_and_score(ESTIMATORS[k], seed, X, y, train, test)
                acc[k][i, j], epochs[k] = a, epochs[k] + [n]
                secs[k] += s
                capped[k] += c
    return acc, secs, epochs, capped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="*", default=list(DATA), choices=list(DATA))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name in args.data:
            acc, secs, epochs, capped = run(name, seeds, args.folds)
            means = {k: 100 * a.mean() for k, a in acc.items()}
            sds = {k: 100 * a.mean(axis=1).std() for k, a in acc.items()}
            d0 = means["pruned s=0"] - means["sklearn"]
            d5 = means["pruned default"] - means["sklearn"]
            rows.append([
                name,
                *(f"{means[k]:.2f} ± {sds[k]:.2f}" for k in ESTIMATORS),
                f"{d0:+.2f} ({'yes' if abs(d0) <= 1 else 'NO'})",
                f"{d5:+.2f} ({'yes' if abs(d5) <= 2 else 'NO'})",
                " / ".join(f"{np.median(epochs[k]):.0f}" for k in ESTIMATORS),
                " / ".join(str(capped[k]) for k in ESTIMATORS),
                f"{secs['pruned s=0'] / secs['sklearn']:.2f} / "
                f"{secs['pruned default'] / secs['sklearn']:.2f}",
            ])
            print(f"{name}: done", flush=True)
    n = args.seeds * args.folds
    headers = ["data", "MLPClassifier", "pruned, sparsity=0", "pruned, sparsity=0.5",
               "s=0 vs sklearn", "s=0.5 vs sklearn", "median epochs (sk / 0 / 0.5)",
               f"fits at budget (of {n})", "fit time ratio (0 / 0.5)"]
    print(f"\naccuracy %, mean over {args.seeds} seeds x {args.folds} folds ± sd of the seed "
          f"means; differences in points (targets: within 1 at sparsity=0, within 2 at 0.5)\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
