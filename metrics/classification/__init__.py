"""Classification and correlation metrics: accuracy, precision, recall, f1, matthews_correlation,
pearsonr, spearmanr. Each lives in its own module and registers itself when imported
(``metrics.load`` imports them lazily).
"""
