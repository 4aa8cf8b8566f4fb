"""Pruning actions (weights, neurons, structure), their criteria and the mask history."""
