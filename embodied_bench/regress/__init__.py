"""The regression check: the reference baselines rerun at each task's CI budget with the
reference seeds, compared with the committed reference runs (``leaderboard/baselines``).

* An agent that declares ``deterministic = True`` must reproduce every reference curve
  exactly (every column but wall time) when what its numbers depend on has the versions
  the reference recorded (``compare.exact_packages``); otherwise it is compared
  statistically, and the verdict says which versions changed.
* Other agents pass while the probability that a new run beats a reference run (normalised
  AUC) has an interval that contains 0.5, and the IQM of the new runs' normalised AUC lies
  inside the reference's interval.

Each task's CI budget and the baselines that run on it are declared with the task
(``api.Task``); the reference seeds and the project's CI subset are defined here, in
``plan``. ``references`` writes and reads the reference folders.
"""

from embodied_bench.regress.compare import (
    EXACT_VERSIONS,
    ReferenceRecordError,
    Verdict,
    check_reference,
    compare,
    compare_exact,
    compare_statistical,
    curve_diff,
    exact_packages,
    verdicts_json,
    version_changes,
)
from embodied_bench.regress.plan import CI_SUBSET, CI_SUBSET_OLD, REFERENCE_SEEDS, SelectionError, ci_pairs, select_pairs
from embodied_bench.regress.references import MANIFEST, read_manifest, update_references

__all__ = [
    "CI_SUBSET",
    "CI_SUBSET_OLD",
    "EXACT_VERSIONS",
    "MANIFEST",
    "REFERENCE_SEEDS",
    "ReferenceRecordError",
    "SelectionError",
    "Verdict",
    "check_reference",
    "ci_pairs",
    "compare",
    "compare_exact",
    "compare_statistical",
    "curve_diff",
    "exact_packages",
    "read_manifest",
    "select_pairs",
    "update_references",
    "verdicts_json",
    "version_changes",
]
