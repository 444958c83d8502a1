"""Load, crash and hostile-input drivers against a real ``mexards serve`` on a loopback port.

``python -m benchmarks.load`` runs the full load benchmark (SQLite and PostgreSQL);
``benchmarks/bench_crash.py`` the full crash suite. ``tests/reliability`` runs short, bounded forms of the
same drivers in CI.
"""
