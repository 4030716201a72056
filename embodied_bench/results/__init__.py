"""Run records on disk and their loading into pandas."""

from embodied_bench.results.load import RecordError, find_run_dirs, load_runs
from embodied_bench.results.records import CURVE_COLUMNS, run_dir

__all__ = ["CURVE_COLUMNS", "RecordError", "find_run_dirs", "load_runs", "run_dir"]
