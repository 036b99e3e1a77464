"""The project's benchmarks and result reports (docs/results/); not part of the package.

Run each from the repository root as a module: `python -m benchmarks.NAME --help`. What the
scripts share lives in `benchmarks.common` (the comparison's recipe, option sets, run cache, data
folders, report files), `benchmarks.report` (the comparison's report) and `benchmarks.measure`
(FLOPs per volume and CPU throughput side by side, for option_cost.py and frontier.py).
"""
