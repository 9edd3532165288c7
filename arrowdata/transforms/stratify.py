"""Stratified train/test index draws, the scheme scikit-learn's ``StratifiedShuffleSplit`` uses.

The same random draws in the same order as scikit-learn and Hugging Face ``datasets``, so
a split with the same seed picks the same rows. Class sizes follow the "approximate mode"
of a multivariate hypergeometric draw: each class gets the floor of its share, and the
rows still missing go to the classes with the largest remainders, ties broken at random.

Example:
    >>> import numpy as np
    >>> train, test = stratified_split(np.array([0, 0, 1, 1, 1, 1]), 3, 3, np.random.default_rng(0))
    >>> sorted(np.bincount(np.array([0, 0, 1, 1, 1, 1])[test]).tolist())
    [1, 2]
"""
from __future__ import annotations

import numpy as np

from .derive import InvalidArgumentError


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Per-class draw counts closest to ``n_draws * class_counts / total`` that sum to ``n_draws``."""
    share = n_draws * class_counts / class_counts.sum()
    counts = np.floor(share)
    missing = int(n_draws - counts.sum())
    if missing > 0:
        remainder = share - counts
        # Largest remainders first; classes tied on a remainder are chosen at random.
        for value in np.sort(np.unique(remainder))[::-1]:
            (tied,) = np.where(remainder == value)
            now = min(len(tied), missing)
            counts[rng.choice(tied, size=now, replace=False)] += 1
            missing -= now
            if missing == 0:
                break
    return counts.astype(np.int64)


def stratified_split(labels: np.ndarray, n_train: int, n_test: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions with each class in proportion to ``labels``.

    Raises :class:`InvalidArgumentError` (argument ``stratify_by_column``) when a class has
    fewer than 2 rows or when a side has fewer rows than there are classes.
    """
    classes, label_ids = np.unique(labels, return_inverse=True)
    n_classes = len(classes)
    class_counts = np.bincount(label_ids)
    if class_counts.min() < 2:
        raise InvalidArgumentError("stratify_by_column", "the least populated class has only 1 row; "
                                   "every class needs at least 2 rows to appear on both sides")
    if n_train < n_classes:
        raise InvalidArgumentError("train_size", f"the train side ({n_train} rows) must hold at least one row "
                                   f"of each of the {n_classes} classes")
    if n_test < n_classes:
        raise InvalidArgumentError("test_size", f"the test side ({n_test} rows) must hold at least one row "
                                   f"of each of the {n_classes} classes")
    by_class = np.split(np.argsort(label_ids, kind="mergesort"), np.cumsum(class_counts)[:-1])
    train_counts = _approximate_mode(class_counts, n_train, rng)
    test_counts = _approximate_mode(class_counts - train_counts, n_test, rng)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for i in range(n_classes):
        rows = by_class[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.append(rows[:train_counts[i]])
        test.append(rows[train_counts[i]:train_counts[i] + test_counts[i]])
    # The final shuffles draw from the generator exactly as scikit-learn's do (same length, same order).
    return (rng.permutation(np.concatenate(train).astype(np.int64)),
            rng.permutation(np.concatenate(test).astype(np.int64)))
