"""Metrics of scores and probabilities: roc_auc, brier_score."""
