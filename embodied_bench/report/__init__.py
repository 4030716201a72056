"""Reports: seaborn figures (``figures``), Markdown and HTML rendering (``document``) and
the ``report`` command's builder (``build``)."""

from embodied_bench.report.build import Report, ReportOptions, build_report

__all__ = ["Report", "ReportOptions", "build_report"]
