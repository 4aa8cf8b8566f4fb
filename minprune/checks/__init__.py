"""Check functions for the course exercises, one module per notebook.

Each check takes a learner's answer, compares it with what the library computes,
and raises ``AssertionError`` with a hint when the answer is wrong; it returns
``PASSED`` when the answer is right (true, shown as ``True``; see ``_passed``), so a notebook
cell or a graded test cell can end with it.
Shared helpers (hints, reading answers) are in :mod:`._common`.
"""
from ._passed import PASSED, Passed
from .faq_by_experiment import check_recovered_fraction, check_undone
from .fine_tuning_and_schedules import (check_cubic_schedule, check_per_round,
                                        check_sparsity_and_accuracy)
from .from_pruned_to_small import check_distillation_delta, check_huffman_lengths, check_kmeans
from .lottery_ticket import check_random_ticket_masks, check_rewound, check_sparsest_matching_ticket
from .masks_that_move import check_drop_fraction, check_drop_mask, check_erdos_renyi
from .mlp_from_scratch import check_gradients, check_log_softmax, check_numerical_gradient
from .neuron_pruning import check_apoz, check_flops_and_accuracy, check_global_units
from .pruning_without_retraining import check_lamp_scores, check_obs_step, check_wanda_scores
from .structured_pruning_and_speed import check_csr_break_even, check_n_m_mask, check_shrink
from .weight_pruning import check_global_threshold, check_layer_sensitivity, check_magnitude_mask
from .what_is_pruning import check_pruned_copy, check_sparsity
from .when_not_to_prune import (check_csr_max_nonzeros, check_equal_nonzeros_sparsity,
                                check_knee_sparsity, check_one_shot_accuracies)
from .which_weights_matter import check_oracle_entry, check_pair_interaction, check_taylor_scores

__all__ = ["PASSED", "Passed"] + sorted(name for name in dir() if name.startswith("check_"))
