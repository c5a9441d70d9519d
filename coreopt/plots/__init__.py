"""Plots drawn from result records (plain dicts, lists and NumPy arrays), saved with Agg."""
