"""Sequence-labelling metrics: seqeval (entity-level precision/recall/F1 from IOB-style tags)."""
