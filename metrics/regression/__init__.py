"""Regression metrics (scikit-learn's formulas): mse, mae, mape, smape, r_squared."""
