"""Our masks equal torch.nn.utils.prune's on tie-free weights (fixture made by
tests/fixtures/make_torch_masks.py; these tests run without torch)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minprune

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = np.load(FIXTURES / "torch_masks.npz", allow_pickle=False)
N_CASES = sum(1 for name in FIXTURE.files if name.endswith("_kind"))


def load_script():
    spec = importlib.util.spec_from_file_location("make_torch_masks",
                                                  FIXTURES / "make_torch_masks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_model(arrays, dtype):
    n = sum(1 for name in arrays if name.startswith("W"))
    weights = [arrays[f"W{i}"] for i in range(n)]
    model = minprune.MLP([weights[0].shape[0]] + [w.shape[1] for w in weights], dtype=dtype)
    for layer, W in zip(model.layers, weights):
        layer.W[...] = W
    return model


def check_case(arrays, c, dtype=np.float64, **kwargs):
    kind = str(arrays[f"case{c}_kind"])
    model = fixture_model(arrays, dtype)
    rounds = zip(arrays[f"case{c}_amounts"], arrays[f"case{c}_is_int"])
    for r, (amount, is_int) in enumerate(rounds):
        amount = int(amount) if is_int else float(amount)
        if kind == "neurons" or (kind == "weights_then_neurons" and r > 0):
            minprune.prune_neurons(model, amount, criterion="l2", scope="layer")
        elif kind == "weights_then_neurons":
            minprune.prune_weights(model, amount, scope="layer")
        else:
            minprune.prune_weights(model, amount, scope=kind, **kwargs)
        for i, layer in enumerate(model.layers):
            expected = arrays[f"case{c}_round{r}_mask{i}"]
            np.testing.assert_array_equal(layer.mask, expected,
                                          err_msg=f"{kind} {amount} round {r} layer {i}")
        if kind in ("neurons", "weights_then_neurons"):  # a unit's bias goes with its inputs
            for i, layer in enumerate(model.layers[:-1]):
                np.testing.assert_array_equal(layer.bias_mask, layer.mask.any(axis=0))
    return kind


def test_fixture_covers_every_kind_and_repeated_rounds():
    kinds = [str(FIXTURE[f"case{c}_kind"]) for c in range(N_CASES)]
    assert {"layer", "global", "neurons", "weights_then_neurons"} == set(kinds)
    assert all(any(len(FIXTURE[f"case{c}_amounts"]) > 1 and FIXTURE[f"case{c}_is_int"].any()
                   for c in range(N_CASES) if kinds[c] == k) for k in set(kinds))
    assert len(fixture_model(FIXTURE, np.float64).layers) == 4  # three hidden layers


NEURON_CASES = [c for c in range(N_CASES)
                if str(FIXTURE[f"case{c}_kind"]) in ("neurons", "weights_then_neurons")]


@pytest.mark.parametrize("c", NEURON_CASES)
def test_first_neuron_round_parity_on_three_hidden_layers(c):
    """The first neuron round alone, on a fresh copy: every hidden layer, the third included."""
    kind = str(FIXTURE[f"case{c}_kind"])
    amounts, is_int = FIXTURE[f"case{c}_amounts"], FIXTURE[f"case{c}_is_int"]
    r = 0 if kind == "neurons" else 1
    model = fixture_model(FIXTURE, np.float64)
    if r:
        minprune.prune_weights(model, float(amounts[0]), scope="layer")
    minprune.prune_neurons(model, int(amounts[r]) if is_int[r] else float(amounts[r]))
    for i, layer in enumerate(model.layers):
        np.testing.assert_array_equal(layer.mask, FIXTURE[f"case{c}_round{r}_mask{i}"])


def l2_of_unmasked_weights_choice(weights, masks, amount):
    """Units a scorer of the *unmasked* original weights would prune in each hidden layer."""
    chosen = []
    for W, m in zip(weights[:-1], masks[:-1]):
        active = m.any(axis=0)
        k = round(amount * int(active.sum()))
        order = [j for j in np.argsort(np.linalg.norm(W, axis=0), kind="stable") if active[j]]
        chosen.append(sorted(order[:k]))
    return chosen


@pytest.mark.parametrize("c", [c for c in NEURON_CASES
                               if str(FIXTURE[f"case{c}_kind"]) == "weights_then_neurons"])
def test_torch_scores_masked_weights_and_the_fixture_tells_the_two_rules_apart(c):
    """torch's ln_structured scores module.weight (masked), like prune_neurons; scoring the
    unmasked weight_orig would pick other units on this case, so the case discriminates."""
    weights = [FIXTURE[f"W{i}"] for i in range(4)]
    after_weights = [FIXTURE[f"case{c}_round0_mask{i}"] for i in range(4)]
    torch_pruned = [sorted(np.flatnonzero(~FIXTURE[f"case{c}_round1_mask{i}"].any(axis=0)))
                    for i in range(3)]
    amount = float(FIXTURE[f"case{c}_amounts"][1])
    assert l2_of_unmasked_weights_choice(weights, after_weights, amount) != torch_pruned


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("c", range(N_CASES))
def test_masks_equal_torch(c, dtype):
    check_case(FIXTURE, c, dtype)


GLOBAL_CASES = [c for c in range(N_CASES) if str(FIXTURE[f"case{c}_kind"]) == "global"]


@pytest.mark.parametrize("c", GLOBAL_CASES)
def test_global_parity_without_the_guard(c):
    check_case(FIXTURE, c, min_density=0.0)


def test_regenerated_with_torch_matches_fixture_and_us():
    torch = pytest.importorskip("torch")
    fresh = load_script().make_fixture()
    assert sorted(fresh) == sorted(FIXTURE.files), torch.__version__
    for name in fresh:
        np.testing.assert_array_equal(fresh[name], FIXTURE[name], err_msg=name)
    for c in range(N_CASES):
        check_case(fresh, c)
