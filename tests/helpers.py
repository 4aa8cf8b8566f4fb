"""Helpers shared by several test files (pytest puts tests/ on sys.path)."""
import numpy as np
from hypothesis import strategies as st

import minprune

def random_pruned_mlp(rng, sizes, activation, dtype=np.float64, p_weight=0.3,
                      p_dead_in=0.25, p_dead_out=0.25, p_bias=0.3):
    """An MLP with random weights, random biases and random masks, including whole dead
    columns (no incoming weights, bias live or not) and dead rows (no outgoing weights)."""
    model = minprune.MLP(sizes, activation=activation, seed=int(rng.integers(1000)), dtype=dtype)
    for i, layer in enumerate(model.layers):
        layer.b[:] = rng.normal(size=layer.b.shape)
        layer.mask = rng.random(layer.W.shape) > p_weight
        layer.bias_mask = rng.random(layer.b.shape) > p_bias
        if i < len(model.layers) - 1:
            layer.mask[:, rng.random(layer.fan_out) < p_dead_in] = False
        if i > 0:
            layer.mask[rng.random(layer.fan_in) < p_dead_out, :] = False
    return model.apply_masks()


def model_state(model):
    return [(layer.W.copy(), layer.b.copy(), layer.mask.copy(), layer.bias_mask.copy())
            for layer in model.layers]


def assert_same_state(before, model):
    for (W, b, m, bm), layer in zip(before, model.layers):
        np.testing.assert_array_equal(W, layer.W)
        np.testing.assert_array_equal(b, layer.b)
        np.testing.assert_array_equal(m, layer.mask)
        np.testing.assert_array_equal(bm, layer.bias_mask)


sizes_st = st.builds(lambda f, h, c: [f, *h, c], st.integers(1, 7),
                     st.lists(st.integers(1, 7), min_size=0, max_size=3), st.integers(2, 4))
