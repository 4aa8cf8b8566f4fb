"""Training speed: minprune's numpy MLP against scikit-learn's MLPClassifier.

Same architecture (2 hidden layers of 256 ReLU units), Adam with lr 1e-3, batch
128, the same number of epochs, float32 data, BLAS limited to one thread for
both (threadpoolctl). Runs alternate between the two libraries so that load
from other processes falls on both alike; each figure is a median over repeats.

    python benchmarks/train_speed.py                 # digits and MNIST-1D, 5 repeats
    python benchmarks/train_speed.py --repeats 9 --threads 2

Prints, per data set: median epoch time of each, their ratio minprune/sklearn
(target <= 0.55), median test accuracy of each (and of minprune started from
scikit-learn's initialisation scheme, which separates the effect of the
initialisation from that of the training code), and the training rate in
GFLOP/s (6 x weights x samples per epoch: forward, and two matmuls backward)
beside this machine's float32 matrix-multiply rate measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import minprune
import minprune.blas
from minprune.datasets import load_digits, load_mnist1d

HIDDEN = (256, 256)


def matmul_gflops(n=512, repeats=20):
    """Median float32 rate of an n x n by n x n product, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=out)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / np.median(times) / 1e9


def run_sklearn(data, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam",
                        learning_rate_init=1e-3, batch_size=128, max_iter=epochs, alpha=0.0,
                        tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(data.X_train, data.y_train)
        elapsed = time.perf_counter() - t0
    assert clf.n_iter_ == epochs and clf.coefs_[0].dtype == np.float32
    return elapsed / epochs, clf.score(data.X_test, data.y_test)


def sklearn_init(model, seed):
    """Re-draw `model`'s weights and biases the way scikit-learn initialises a ReLU MLP:
    uniform in +-sqrt(6 / (fan_in + fan_out)) (Glorot), where minprune uses He-normal."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        bound = np.sqrt(6.0 / (layer.fan_in + layer.fan_out))
        layer.W[...] = rng.uniform(-bound, bound, layer.W.shape)
        layer.b[...] = rng.uniform(-bound, bound, layer.b.shape)
    return model


def run_minprune(data, epochs, seed, init="minprune"):
    sizes = [data.n_features, *HIDDEN, data.n_classes]
    model = minprune.MLP(sizes, activation="relu", seed=seed)
    if init == "sklearn":
        sklearn_init(model, seed)
    t0 = time.perf_counter()
    minprune.fit(model, data.X_train, data.y_train, epochs=epochs, batch_size=128,
                 optimizer="adam", lr=1e-3, seed=seed, progress=False)
    elapsed = time.perf_counter() - t0
    return elapsed / epochs, model.score(data.X_test, data.y_test)


def bench(name, data, epochs, repeats):
    results = {"minprune": [], "sklearn": [], "glorot": []}
    for r in range(repeats):
        # alternate the order so a burst of outside load does not always hit the same one
        order = (("minprune", run_minprune), ("sklearn", run_sklearn))
        for lib, run in (order if r % 2 == 0 else order[::-1]):
            results[lib].append(run(data, epochs, seed=r))
        results["glorot"].append(run_minprune(data, epochs, seed=r, init="sklearn"))
    t_mp = np.median([t for t, _ in results["minprune"]])
    t_sk = np.median([t for t, _ in results["sklearn"]])
    acc_mp = np.median([a for _, a in results["minprune"]])
    acc_sk = np.median([a for _, a in results["sklearn"]])
    acc_gl = np.median([a for _, a in results["glorot"]])
    sizes = [data.n_features, *HIDDEN, data.n_classes]
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    flop = 6 * n_weights * data.X_train.shape[0]
    print(f"{name}: {data.X_train.shape[0]} train samples, {epochs} epochs x {repeats} repeats, "
          f"layers {sizes}")
    print(f"  median epoch time  minprune {t_mp * 1e3:8.2f} ms   sklearn {t_sk * 1e3:8.2f} ms   "
          f"ratio {t_mp / t_sk:.3f}  (target <= 0.55)")
    print(f"  test accuracy      minprune {acc_mp:.4f}      sklearn {acc_sk:.4f}      "
          f"difference {100 * (acc_mp - acc_sk):+.1f} points")
    print(f"  with scikit-learn's initialisation (Glorot uniform) minprune reaches {acc_gl:.4f} "
          f"({100 * (acc_gl - acc_sk):+.1f} points)")
    print(f"  training rate      minprune {flop / t_mp / 1e9:6.1f} GFLOP/s   "
          f"sklearn {flop / t_sk / 1e9:6.1f} GFLOP/s")
    return t_mp / t_sk


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per library and data set")
    parser.add_argument("--epochs-digits", type=int, default=30)
    parser.add_argument("--epochs-mnist1d", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both (default 1)")
    args = parser.parse_args(argv)
    # fit() sets its own BLAS limit (one thread by default), inside the one below.
    minprune.blas.BLAS_THREADS = args.threads

    with threadpool_limits(limits=args.threads):
        print(f"BLAS threads: {args.threads}; cores: {os.cpu_count()}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"float32 matmul 512x512x512: {matmul_gflops():.1f} GFLOP/s")
        ratios = [bench("digits", load_digits(), args.epochs_digits, args.repeats),
                  bench("MNIST-1D", load_mnist1d(), args.epochs_mnist1d, args.repeats)]
        print(f"float32 matmul 512x512x512: {matmul_gflops():.1f} GFLOP/s (after)")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("ratios:", " ".join(f"{r:.3f}" for r in ratios))


if __name__ == "__main__":
    main()
