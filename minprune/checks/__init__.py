"""Check functions for the course exercises.

Each check takes a learner's answer, compares it with what the library computes,
and raises ``AssertionError`` with a hint when the answer is wrong; it returns
``True`` when the answer is right, so a notebook cell can end with it.
"""
from .basics import (check_gradients, check_log_softmax, check_numerical_gradient,
                     check_pruned_copy, check_sparsity)
from .compression import check_distillation_delta, check_huffman_lengths, check_kmeans
from .dynamic import check_drop_fraction, check_drop_mask, check_erdos_renyi
from .schedules import check_cubic_schedule, check_per_round, check_sparsity_and_accuracy
from .structure import (check_apoz, check_csr_break_even, check_flops_and_accuracy,
                        check_global_units, check_n_m_mask, check_shrink)
from .tickets import (check_csr_max_nonzeros, check_equal_nonzeros_sparsity,
                      check_knee_sparsity, check_one_shot_accuracies,
                      check_random_ticket_masks, check_recovered_fraction,
                      check_rewound, check_sparsest_matching_ticket, check_undone)
from .weights import (check_global_threshold, check_layer_sensitivity, check_magnitude_mask,
                      check_oracle_entry, check_pair_interaction, check_taylor_scores)

__all__ = sorted(name for name in dir() if name.startswith("check_"))
