"""Derivation of analysis-ready endpoints from raw longitudinal records."""
