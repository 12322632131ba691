"""Estimators and tests computed from risk tables."""
