"""Benchmarks (``make bench``): each measures the project and its floor in one run."""
