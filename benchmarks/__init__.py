"""Benchmarks: each module reports speed as ratios against a baseline measured in the same run."""
