"""The leaderboard: submission bundles and their validation (``bundle``), adding one to
``leaderboard/submissions/`` (``submit``), and the ranked tables computed from the
submissions and the reference baselines (``board``). The pages themselves are rendered by
``embodied_bench.report.site``."""

from embodied_bench.leaderboard.bundle import (
    CATEGORIES,
    SubmissionMeta,
    check_name,
    read_meta,
    validate,
)

__all__ = ["CATEGORIES", "SubmissionMeta", "check_name", "read_meta", "validate"]
