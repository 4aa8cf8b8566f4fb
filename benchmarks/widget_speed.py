"""Widget speed: how long one slider move of ``minprune.widgets.explore`` takes.

The model is the tour's: ``MLP([64, 256, 256, 10])`` trained on digits. The
explorer is driven from Python exactly as a notebook drives it (``slider.value =
...``), so each figure is the whole update a learner waits for: prune a copy with
the cached pruning order, score it on the test set, build the report table and
draw the network diagram to PNG. Only the browser's display of the PNG is left out.

1. Slider moves: ``--moves`` moves (default 30) to random different stops, per
   kind with its default criterion; median and max wall time, median CPU time,
   and the median time of each part of an update (prune + score, table,
   diagram), each part timed alone on the same stops.
2. First use of each criterion: the first move after switching to it also
   computes the importance scores and the pruning order (then cached). Each is
   measured on fresh explorers (median of ``--repeats``), beside the warm move
   that follows.

    python benchmarks/widget_speed.py              # ~30 s
    python benchmarks/widget_speed.py --moves 60

Target: a warm move well under 100 ms, so the slider feels immediate.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import minprune
from minprune import widgets
from minprune.datasets import load_digits
from minprune.metrics import report
from minprune.pruning.criteria import names

SIZES = [64, 256, 256, 10]
CRITERIA = {kind: names(kind) for kind in ("weights", "neurons")}


def load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def trained_model(data, seed=0):
    model = minprune.MLP(SIZES, seed=seed)
    minprune.fit(model, data.X_train, data.y_train, epochs=10, batch_size=32, seed=seed,
                 progress=False)
    return model


def timed_set(control, value):
    """Set a control's value (which runs the update); (wall, cpu) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    control.value = value
    return time.perf_counter() - wall, time.process_time() - cpu


def stops(n, rng):
    """`n` slider stops, each different from the one before (an equal value is no move)."""
    choices = [a for a in widgets.AMOUNTS if a > 0]
    out, current = [], widgets.AMOUNTS[0]
    for _ in range(n):
        current = rng.choice([a for a in choices if a != current])
        out.append(float(current))
    return out


def bench_moves(model, data, moves, seed):
    print(f"\n1. slider moves: {moves} moves to random stops, default criterion per kind")
    print(f"{'kind':8} {'criterion':10} {'wall median':>12} {'wall max':>9} {'cpu median':>11}"
          f"   medians: prune+score + table + diagram")
    for kind in ("weights", "neurons"):
        ex = widgets.explore(model, data, kind=kind, amount=0.0, static=False)
        rng = np.random.default_rng(seed)
        walls, cpus, states = [], [], []
        for amount in stops(moves, rng):
            wall, cpu = timed_set(ex.slider, amount)
            walls.append(wall)
            cpus.append(cpu)
            states.append(ex.state)
        # The parts of an update, timed one by one on the same stops.
        parts = np.zeros((len(states), 3))
        for i, s in enumerate(states):
            for j, step in enumerate((
                    lambda: ex.lab.prune(s.kind, s.criterion, s.scope, s.amount),
                    lambda: report(s.model)._repr_html_(),
                    lambda: ex._canvas.diagram_png(s.model, ex.seed))):
                t0 = time.perf_counter()
                step()
                parts[i, j] = time.perf_counter() - t0
        prune, table, diagram = np.median(parts, axis=0) * 1e3
        print(f"{kind:8} {s.criterion:10} {np.median(walls) * 1e3:>9.0f} ms "
              f"{max(walls) * 1e3:>6.0f} ms {np.median(cpus) * 1e3:>8.0f} ms   "
              f"{prune:.1f} + {table:.1f} + {diagram:.1f} ms")


def bench_first_use(model, data, repeats):
    print(f"\n2. first use of each criterion (scores and order computed, then cached); "
          f"medians over {repeats} fresh explorers")
    print(f"{'kind':8} {'criterion':10} {'first move':>11} {'next move':>10} {'extra':>8}")
    for kind, criteria in CRITERIA.items():
        for criterion in criteria:
            other = next(c for c in criteria if c != criterion)
            first, warm = [], []
            for _ in range(repeats):
                ex = widgets.explore(model, data, kind=kind, criterion=other, amount=0.5,
                                     static=False)
                first.append(timed_set(ex.criterion, criterion)[0])
                warm.append(timed_set(ex.slider, 0.9)[0])
            first, warm = np.median(first) * 1e3, np.median(warm) * 1e3
            print(f"{kind:8} {criterion:10} {first:>8.0f} ms {warm:>7.0f} ms "
                  f"{first - warm:>5.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30, help="slider moves per kind")
    parser.add_argument("--repeats", type=int, default=3,
                        help="fresh explorers per criterion for the first-use figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import matplotlib
    from threadpoolctl import threadpool_info

    blas = [f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"numpy {np.__version__}, matplotlib {matplotlib.__version__}, BLAS "
          f"{', '.join(blas)}, {os.cpu_count()} CPUs; {load()}")
    data = load_digits(seed=args.seed)
    model = trained_model(data, args.seed)
    print(f"model: MLP {'-'.join(map(str, SIZES))} trained 10 epochs on digits, test accuracy "
          f"{model.score(data.X_test, data.y_test):.3f}")
    bench_moves(model, data, args.moves, args.seed)
    bench_first_use(model, data, args.repeats)
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
