"""Churn analytics for affiliate partner exports: simulation, survival, classification."""

__version__ = "0.1.0"
