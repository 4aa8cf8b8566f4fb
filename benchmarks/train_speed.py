"""Training speed: minprune's numpy MLP against scikit-learn's MLPClassifier and a
plain PyTorch CPU loop, and a 90%-pruned (masked) model against the dense one.

Same architecture (2 hidden layers of 256 ReLU units), Adam with lr 1e-3, batch
128, the same number of epochs, float32 data, one thread for every system (BLAS
through threadpoolctl, ``torch.set_num_threads(1)``). Runs alternate between the
systems so that load from other processes falls on all alike; each figure is a
median over repeats, and ratios are medians of the ratios within a repeat.
Times are process CPU time by default: on a shared machine the operating system
pauses a process for other work, which wall time counts and CPU time does not
(with one thread, CPU time is the wall time of an idle machine); ``--timer wall``
measures wall time.

    python benchmarks/train_speed.py                 # digits and MNIST-1D, 5 repeats
    python benchmarks/train_speed.py --repeats 9 --threads 2

Prints the CPU and the load average, then per data set: the median epoch time of
each system and the ratios against the targets of issue 17 (minprune/sklearn
<= 0.5, minprune/torch <= 0.55, masked/dense <= 1.05), the median test accuracy
of each (and of minprune started from scikit-learn's initialisation scheme, which
separates the effect of the initialisation from that of the training code), and
the training rate in GFLOP/s (6 x weights x samples per epoch: forward, and two
matmuls backward) as a share of this machine's float32 matrix-multiply rate
measured in the same run (target >= 60%). torch is compared when it is installed.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import minprune
import minprune.blas
from minprune.datasets import load_digits, load_mnist1d

HIDDEN = (256, 256)
TARGETS = {"sklearn": 0.5, "torch": 0.55, "masked": 1.05, "matmul": 0.6}
clock = time.process_time  # --timer wall: time.perf_counter


def cpu_name():
    """The CPU model, from lscpu (Linux) or the platform module."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def matmul_gflops(n=512, repeats=20):
    """Median float32 rate of an n x n by n x n product, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=out)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = clock()
        np.matmul(a, b, out=out)
        times.append(clock() - t0)
    return 2 * n ** 3 / np.median(times) / 1e9


def run_sklearn(data, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam",
                        learning_rate_init=1e-3, batch_size=128, max_iter=epochs, alpha=0.0,
                        tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = clock()
        clf.fit(data.X_train, data.y_train)
        elapsed = clock() - t0
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


def run_minprune(data, epochs, seed, init="minprune", pruned=0.0):
    sizes = [data.n_features, *HIDDEN, data.n_classes]
    model = minprune.MLP(sizes, activation="relu", seed=seed)
    if init == "sklearn":
        sklearn_init(model, seed)
    if pruned:
        minprune.prune_weights(model, pruned, scope="global")
    t0 = clock()
    minprune.fit(model, data.X_train, data.y_train, epochs=epochs, batch_size=128,
                 optimizer="adam", lr=1e-3, seed=seed, progress=False)
    elapsed = clock() - t0
    return elapsed / epochs, model.score(data.X_test, data.y_test)


def run_masked(data, epochs, seed):
    """minprune with 90% of the weights pruned (global magnitude) before training."""
    return run_minprune(data, epochs, seed, pruned=0.9)


def run_torch(data, epochs, seed):
    """A plain PyTorch CPU training loop: the same network, Adam, batches and epochs."""
    import torch

    torch.manual_seed(seed)
    sizes = [data.n_features, *HIDDEN, data.n_classes]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    gen = torch.Generator().manual_seed(seed)
    t0 = clock()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        Xs, ys = X[order], y[order]
        for start in range(0, len(y), 128):
            loss = torch.nn.functional.cross_entropy(model(Xs[start:start + 128]),
                                                     ys[start:start + 128])
            opt.zero_grad()
            loss.backward()
            opt.step()
    elapsed = clock() - t0
    with torch.no_grad():
        pred = model(torch.from_numpy(data.X_test)).argmax(dim=1).numpy()
    return elapsed / epochs, float(np.mean(pred == data.y_test))


def have_torch():
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    return True


def bench(name, data, epochs, repeats, gflops):
    systems = {"minprune": run_minprune, "sklearn": run_sklearn, "masked": run_masked}
    if have_torch():
        systems["torch"] = run_torch
    results = {lib: [] for lib in (*systems, "glorot")}
    names = list(systems)
    for r in range(repeats):
        # rotate the order so a burst of outside load does not always hit the same one
        for lib in names[r % len(names):] + names[:r % len(names)]:
            results[lib].append(systems[lib](data, epochs, seed=r))
        results["glorot"].append(run_minprune(data, epochs, seed=r, init="sklearn"))
    t = {lib: np.array([t for t, _ in res]) for lib, res in results.items()}
    acc = {lib: np.median([a for _, a in res]) for lib, res in results.items()}
    med = {lib: float(np.median(v)) for lib, v in t.items()}
    ratio = {lib: float(np.median(t["minprune"] / t[lib])) for lib in ("sklearn", "torch")
             if lib in t}
    ratio["masked"] = float(np.median(t["masked"] / t["minprune"]))
    sizes = [data.n_features, *HIDDEN, data.n_classes]
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    flop = 6 * n_weights * data.X_train.shape[0]
    ratio["matmul"] = flop / med["minprune"] / 1e9 / gflops
    print(f"{name}: {data.X_train.shape[0]} train samples, {epochs} epochs x {repeats} repeats, "
          f"layers {sizes}")
    print("  median epoch time  " + "   ".join(f"{lib} {med[lib] * 1e3:.2f} ms"
                                               for lib in names))
    print(f"  minprune / sklearn       {ratio['sklearn']:.3f}  (target <= {TARGETS['sklearn']})")
    if "torch" in ratio:
        print(f"  minprune / torch loop    {ratio['torch']:.3f}  (target <= {TARGETS['torch']})")
    else:
        print("  minprune / torch loop    not measured (torch is not installed)")
    print(f"  masked 90% / dense       {ratio['masked']:.3f}  (target <= {TARGETS['masked']})")
    print(f"  training rate            minprune {flop / med['minprune'] / 1e9:.1f} GFLOP/s = "
          f"{ratio['matmul']:.0%} of the float32 matmul rate (target >= "
          f"{TARGETS['matmul']:.0%}); sklearn {flop / med['sklearn'] / 1e9:.1f} GFLOP/s")
    print("  test accuracy      " + "   ".join(f"{lib} {acc[lib]:.4f}" for lib in names))
    print(f"  with scikit-learn's initialisation (Glorot uniform) minprune reaches "
          f"{acc['glorot']:.4f} ({100 * (acc['glorot'] - acc['sklearn']):+.1f} points against "
          f"sklearn)")
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per library and data set")
    parser.add_argument("--epochs-digits", type=int, default=30)
    parser.add_argument("--epochs-mnist1d", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS (and torch) threads for every system (default 1)")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu",
                        help="process CPU time (default) or wall time")
    args = parser.parse_args(argv)
    global clock
    clock = time.process_time if args.timer == "cpu" else time.perf_counter
    # fit() sets its own BLAS limit (one thread by default), inside the one below.
    minprune.blas.BLAS_THREADS = args.threads
    if have_torch():
        import torch

        torch.set_num_threads(args.threads)

    with threadpool_limits(limits=args.threads):
        print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; BLAS threads: {args.threads}; "
              f"timer: {args.timer}; load average {load()}")
        gflops = matmul_gflops()
        print(f"float32 matmul 512x512x512: {gflops:.1f} GFLOP/s")
        ratios = {"digits": bench("digits", load_digits(), args.epochs_digits, args.repeats,
                                  gflops),
                  "MNIST-1D": bench("MNIST-1D", load_mnist1d(), args.epochs_mnist1d,
                                    args.repeats, gflops)}
        print(f"float32 matmul 512x512x512: {matmul_gflops():.1f} GFLOP/s (after)")
        print(f"load average at the end: {load()}")
    for name, r in ratios.items():
        print(f"{name}: " + "  ".join(f"{k} {v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
