"""Equipment's scheduler against its peers, side by side: `python benchmarks/bench.py`.

One adapter per peer (`adapters.py`) exposes the same few operations; each workload module
drives those operations and returns plain numbers; `runner.py` runs every (workload, peer)
pair in its own interpreter with a time limit; `report.py` writes the table and charts.
"""
