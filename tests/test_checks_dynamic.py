"""The exercise checks of notebooks 11 and 12: right answers pass, each known mistake gets its hint."""
import numpy as np
import pytest

from minprune.checks import PASSED
import minprune as mp
from minprune.checks import (check_distillation_delta, check_drop_fraction, check_drop_mask,
                             check_erdos_renyi, check_huffman_lengths, check_kmeans)
from minprune.distill import distillation_delta


def test_drop_mask():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 5))
    mask = rng.random((6, 5)) > 0.4
    W[~mask] = 0
    k = 4
    active = np.flatnonzero(mask)
    right = mask.copy()
    right.ravel()[active[np.argsort(np.abs(W.ravel()[active]), kind="stable")[:k]]] = False
    assert check_drop_mask(right, W, mask, k) is PASSED
    negative = mask.copy()
    negative.ravel()[active[np.argsort(W.ravel()[active], kind="stable")[:k]]] = False
    with pytest.raises(AssertionError, match="NEGATIVE"):
        check_drop_mask(negative, W, mask, k)
    with pytest.raises(AssertionError, match="drops 3 weights"):
        wrong = right.copy()
        wrong.ravel()[np.flatnonzero(mask & ~right)[0]] = True
        check_drop_mask(wrong, W, mask, k)
    with pytest.raises(AssertionError, match="switches on"):
        check_drop_mask(np.ones_like(mask), W, mask, k)
    with pytest.raises(AssertionError, match="None"):
        check_drop_mask(None, W, mask, k)
    with pytest.raises(AssertionError, match="bool"):
        check_drop_mask(right.astype(int), W, mask, k)


def test_drop_fraction():
    steps = np.arange(100)
    right = np.where(steps < 60, 0.15 * (1 + np.cos(np.pi * steps / 60)), 0.0)
    assert check_drop_fraction(right, steps, drop_fraction=0.3, end_step=60) is PASSED
    with pytest.raises(AssertionError, match="multiply by drop_fraction"):
        check_drop_fraction(right / 0.3, steps, drop_fraction=0.3, end_step=60)
    with pytest.raises(AssertionError, match="nothing moves"):
        check_drop_fraction(0.15 * (1 + np.cos(np.pi * steps / 60)), steps, drop_fraction=0.3,
                            end_step=60)


def test_the_drop_fraction_check_agrees_with_the_callbacks():
    cb = mp.SET(0.5, drop_fraction=0.3, end=0.5)
    cb._end_step = 60
    steps = np.arange(100)
    assert check_drop_fraction([cb.fraction(t) for t in steps], steps, drop_fraction=0.3,
                               end_step=60) is PASSED


def test_erdos_renyi():
    net = mp.MLP([64, 256, 256, 10], seed=0)
    assert check_erdos_renyi(mp.erdos_renyi_densities(net, 0.1), net, density=0.1) is PASSED
    sizes = np.array([layer.W.size for layer in net.layers])
    with pytest.raises(AssertionError, match="same density in every layer"):
        check_erdos_renyi(np.round(0.1 * sizes), net, density=0.1)
    with pytest.raises(AssertionError, match="add up"):
        check_erdos_renyi(np.round(0.2 * sizes), net, density=0.1)


def test_distillation_delta():
    rng = np.random.default_rng(1)
    z, t, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    _, right, _ = distillation_delta(z, y, t, 3.0, 0.6)
    assert check_distillation_delta(right, z, y, t, temperature=3.0, distill_weight=0.6) is PASSED
    with pytest.raises(AssertionError, match="MEAN"):
        check_distillation_delta(right * 6, z, y, t, temperature=3.0, distill_weight=0.6)
    hard = distillation_delta(z, y, t, 3.0, 0.0)[1]
    soft = distillation_delta(z, y, t, 3.0, 1.0)[1] / 3.0
    with pytest.raises(AssertionError, match="factor T"):
        check_distillation_delta(0.4 * hard + 0.6 * soft, z, y, t, temperature=3.0,
                                 distill_weight=0.6)
    with pytest.raises(AssertionError, match="swapped"):
        check_distillation_delta(0.6 * hard + 0.4 * soft * 3, z, y, t, temperature=3.0,
                                 distill_weight=0.6)
    with pytest.raises(ValueError, match="temperature"):
        check_distillation_delta(right, z, y, t, temperature=0.0, distill_weight=0.6)


def test_huffman_lengths():
    values = [0] * 10 + [1] * 6 + [2] * 3 + [3] * 2 + [4]
    assert check_huffman_lengths({0: 1, 1: 2, 2: 3, 3: 4, 4: 4}, values) is PASSED
    assert check_huffman_lengths([1, 2, 3, 4, 4], values) is PASSED
    with pytest.raises(AssertionError, match="Kraft"):
        check_huffman_lengths([1, 1, 2, 3, 3], values)
    with pytest.raises(AssertionError, match="LEAST frequent"):
        check_huffman_lengths([3, 3, 3, 3, 3], values)
    with pytest.raises(AssertionError, match="missing"):
        check_huffman_lengths({0: 1}, values)


def test_kmeans():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(c, 0.1, 30) for c in (-2, 0, 1, 3)])
    centroids, _ = mp.compression.kmeans_1d(x, 4)
    assert check_kmeans(centroids[::-1], x, 4) is PASSED          # any order
    with pytest.raises(AssertionError, match="starting centroids"):
        check_kmeans(np.linspace(x.min(), x.max(), 4), x, 4)
    with pytest.raises(AssertionError, match="between their min and max"):
        check_kmeans(centroids + 10, x, 4)
