"""Benchmark harness (`make bench`) and live load check (`make load`); not part of the app."""
