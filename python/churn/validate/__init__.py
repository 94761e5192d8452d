"""Validation against the simulator's ground truth.

`python -m churn.validate survival|classifier`
"""
