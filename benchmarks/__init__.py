"""Scripts that print figures (never timed tests). Run from the repository root: python -m benchmarks.<name>."""
