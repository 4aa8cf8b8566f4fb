"""Beyond fine-tuning: masks that move, students that learn from teachers, files that shrink.

Data: digits (1437 train / 360 test) and MNIST-1D (4000 / 1000), fixed splits.
Networks: two hidden layers of 256 ReLU units, Adam lr 1e-3, batch 32 on digits and
100 on MNIST-1D (about 40 steps per epoch). Each seed changes the initial weights,
the data order and every random mask.

1. From scratch at 90% sparsity, all for the same number of epochs (40 / 30):
   dense; static random sparse (Erdos-Renyi layer densities, mask never changes);
   SET and RigL (same start, a mask update every 100 steps moving 30% of each
   layer's weights at first, cosine decay, frozen after 75% of the run); gradual
   magnitude (GradualPruning from the dense start, cubic, reaching 90% at 75%).
2. Movement pruning against gradual magnitude pruning while fine-tuning a trained
   dense network to 90% (layer scope), same schedule and 20 epochs (digits and MNIST-1D).
3. Distillation (MNIST-1D): 75% of each hidden layer's neurons removed (l2) from
   the trained dense network and the network shrunk (40-64-64-10), then 20 epochs
   of fine-tuning with plain cross-entropy or with the dense network as teacher
   (temperature 2, distill_weight 0.7).
4. Compression (digits 64-256-256-10): gradual magnitude pruning to 95% during 40
   epochs of fine-tuning, then 16 shared values per layer (k-means) fine-tuned for
   5 epochs, then Huffman coding; bytes and accuracy at each stage, and the size of
   the file written by save_compressed against the dense file written by save.

    python benchmarks/beyond_fine_tuning.py            # 3 seeds, ~15 CPU-minutes
    python benchmarks/beyond_fine_tuning.py --quick    # smoke run, seconds
    python benchmarks/beyond_fine_tuning.py --only scratch --sparsity 0.98   # part 1 at 98%

Prints mean and standard deviation over seeds (test accuracy in %), then each
target of issue 14 with its numbers and whether it is met.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from multiprocessing import get_context

import numpy as np

import minprune as mp
from minprune.datasets import load_digits, load_mnist1d

RECIPES = {"digits": dict(epochs=40, batch_size=32), "mnist1d": dict(epochs=30, batch_size=100)}
SPARSITY = 0.9
DST = dict(update_every=100, drop_fraction=0.3, end=0.75)
KD = dict(temperature=2.0, distill_weight=0.7)
LR = 1e-3


def load(name):
    return load_digits(seed=0) if name == "digits" else load_mnist1d(seed=0)


def _score(model, data):
    return 100 * model.score(data.X_test, data.y_test)


def from_scratch(name, seed, quick, sparsity=SPARSITY):
    data, r = load(name), dict(RECIPES[name])
    if quick:
        r["epochs"] = 2
    sizes = [data.X_train.shape[1], 256, 256, 10]
    steps = r["epochs"] * -(-len(data.y_train) // r["batch_size"])
    out = {}

    def run(label, callbacks=(), sparse=False):
        model = mp.MLP(sizes, seed=seed)
        if sparse:
            mp.sparse_init(model, sparsity, seed=seed)
        mp.fit(model, data.X_train, data.y_train, epochs=r["epochs"], batch_size=r["batch_size"],
               lr=LR, seed=seed, callbacks=list(callbacks))
        out[label] = _score(model, data)
        return model

    dense = run("dense")
    run("static random sparse", sparse=True)
    run("SET", [mp.SET(sparsity, seed=seed, **DST)])
    run("RigL", [mp.RigL(sparsity, seed=seed, **DST)])
    run("gradual magnitude", [mp.GradualPruning(sparsity, end_step=int(0.75 * steps),
                                                frequency=20)])
    # 2. movement vs magnitude, fine-tuning the trained dense network
    ft = 2 if quick else 20
    ft_steps = ft * -(-len(data.y_train) // r["batch_size"])
    for label, cb in (("movement (fine-tune)", mp.MovementPruning),
                      ("magnitude (fine-tune)", None)):
        model = dense.copy()
        sched = dict(end_step=int(0.75 * ft_steps), frequency=20, scope="layer")
        cb = cb(SPARSITY, **sched) if cb else mp.GradualPruning(SPARSITY, **sched)
        mp.fit(model, data.X_train, data.y_train, epochs=ft, batch_size=r["batch_size"], lr=LR,
               seed=seed, callbacks=[cb])
        out[label] = _score(model, data)
    return name, seed, out


def distillation(seed, quick):
    data, r = load("mnist1d"), RECIPES["mnist1d"]
    epochs, ft = (2, 2) if quick else (r["epochs"], 20)
    teacher = mp.MLP([40, 256, 256, 10], seed=seed)
    mp.fit(teacher, data.X_train, data.y_train, epochs=epochs, batch_size=r["batch_size"], lr=LR,
           seed=seed)
    cut = teacher.copy()
    mp.prune_neurons(cut, 0.75, criterion="l2")
    cut = mp.shrink(cut)
    out = {"teacher": _score(teacher, data), "cut": _score(cut, data)}
    for label, kwargs in (("cross-entropy", {}), ("distilled", dict(teacher=teacher, **KD))):
        student = cut.copy()
        mp.fit(student, data.X_train, data.y_train, epochs=ft, batch_size=r["batch_size"], lr=LR,
               seed=seed, **kwargs)
        out[label] = _score(student, data)
    return "distillation", seed, out


def compression(seed, quick):
    data, r = load("digits"), RECIPES["digits"]
    epochs = 2 if quick else r["epochs"]
    model = mp.MLP([64, 256, 256, 10], seed=seed)
    mp.fit(model, data.X_train, data.y_train, epochs=epochs, batch_size=r["batch_size"], lr=LR,
           seed=seed)
    out = {"dense": _score(model, data)}
    with tempfile.TemporaryDirectory() as tmp:
        out["dense file"] = os.path.getsize(mp.save(model, os.path.join(tmp, "dense.npz")))
        steps = epochs * -(-len(data.y_train) // r["batch_size"])
        mp.fit(model, data.X_train, data.y_train, epochs=epochs, batch_size=r["batch_size"],
               lr=LR, seed=seed, callbacks=[mp.GradualPruning(
                   0.95, end_step=int(0.75 * steps), frequency=10)])
        small = mp.compress(model, clusters=16, data=data, finetune_epochs=1 if quick else 5,
                            lr=1e-4, seed=seed)
        path = mp.save_compressed(small, os.path.join(tmp, "small.npz"))
        out["coded file"] = os.path.getsize(path)
        loaded = mp.load_compressed(path)
        assert np.array_equal(loaded.predict(data.X_test), small.predict(data.X_test))
    out["stages"] = [(s.name, s.nbytes, 100 * s.accuracy) for s in small.stages]
    return "compression", seed, out


def _job(args):
    kind, *rest = args
    return {"scratch": from_scratch, "kd": distillation, "compress": compression}[kind](*rest)


def fmt(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.2f} ± {values.std(ddof=1) if len(values) > 1 else 0:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 2 epochs")
    parser.add_argument("--only", choices=("scratch", "kd", "compress"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--sparsity", type=float, default=SPARSITY,
                        help="sparsity of part 1 (from scratch); the targets are stated at 0.9")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else list(range(args.seeds))
    parts = set(args.only or ("scratch", "kd", "compress"))
    jobs = ([("scratch", n, s, args.quick, args.sparsity) for n in RECIPES for s in seeds
             if "scratch" in parts]
            + [("kd", s, args.quick) for s in seeds if "kd" in parts]
            + [("compress", s, args.quick) for s in seeds if "compress" in parts])
    start = time.perf_counter()
    with get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(_job, jobs, chunksize=1)
    print(f"beyond_fine_tuning: seeds {seeds}, {args.workers} worker(s), "
          f"{time.perf_counter() - start:.0f} s" + (" (QUICK RUN)" if args.quick else ""))
    by = {}
    for kind, seed, out in results:
        by.setdefault(kind, []).append(out)

    def col(kind, key):
        return [o[key] for o in by[kind]]

    targets = []
    for name in (n for n in RECIPES if n in by):
        runs = by[name]
        print(f"\n== {name}: {args.sparsity:.0%} sparse from scratch, {RECIPES[name]['epochs']} "
              f"epochs (test accuracy %, n={len(runs)}) ==")
        for key in runs[0]:
            print(f"  {key:24s} {fmt(col(name, key))}")
        static = np.mean(col(name, "static random sparse"))
        for method in ("RigL", "SET"):
            m = np.mean(col(name, method))
            targets.append((m > static, f"{name}: {method} at {args.sparsity:.0%} from scratch "
                                        f"beats static random sparse", f"{m:.2f} vs {static:.2f}"))
    if "distillation" in by:
        targets += _distillation_report(by, col)
    if "compression" in by:
        targets += _compression_report(by, col)
    print("\n== targets (means over seeds)" + (", QUICK RUN" if args.quick else "") + " ==")
    for met, text, measured in targets:
        print(f"[{'met' if met else 'NOT met'}] {text}: {measured}")


def _distillation_report(by, col):
    kd = by["distillation"]
    print(f"\n== MNIST-1D: 75% of hidden neurons removed and shrunk, 20 epochs (n={len(kd)}) ==")
    for key in kd[0]:
        print(f"  {key:24s} {fmt(col('distillation', key))}")
    gain = np.mean(np.subtract(col("distillation", "distilled"), col("distillation",
                                                                    "cross-entropy")))
    gap = np.mean(np.subtract(col("distillation", "distilled"), col("distillation", "teacher")))
    return [(gain >= 1, "distillation >= 1 point above cross-entropy fine-tuning",
             f"{gain:+.2f} points"),
            (gap >= -3, "distillation within 3 points of the dense teacher", f"{gap:+.2f} points")]


def _compression_report(by, col):
    comp = by["compression"]
    print(f"\n== digits 64-256-256-10 compressed (n={len(comp)}) ==")
    for j, (stage, nbytes, _) in enumerate(comp[0]["stages"]):
        accs = [c["stages"][j][2] for c in comp]
        print(f"  {stage:32s} {nbytes:>9,} B ({comp[0]['stages'][0][1] / nbytes:5.1f}x)  "
              f"accuracy {fmt(accs)}")
    ratio = [c["dense file"] / c["coded file"] for c in comp]
    drop = np.mean([c["stages"][-1][2] - c["dense"] for c in comp])
    print(f"  files: dense {fmt(col('compression', 'dense file'))} B, coded "
          f"{fmt(col('compression', 'coded file'))} B, ratio {fmt(ratio)}x; "
          f"dense accuracy {fmt(col('compression', 'dense'))}")
    return [(np.mean(ratio) >= 30, "compressed file >= 30x smaller than the dense file",
             f"{np.mean(ratio):.1f}x"),
            (drop >= -1, "compressed accuracy within 1 point of dense", f"{drop:+.2f} points")]


if __name__ == "__main__":
    main()
