"""Whole jobs, as the CLI runs them: fit and report, resume, compare and backtest, explore,
the experiments and the demo, each printing as it goes and writing its folder atomically.

The fit jobs draw the plots and the HTML report of a run (``save_run``); persistence writes
only the run's plain contents.
"""

from rnncast.jobs.demo import run_demo
from rnncast.jobs.fit import fit_and_report, print_metrics, resume_and_report, save_run
from rnncast.jobs.studies import run_compare, run_experiment, run_explore

__all__ = [
    "fit_and_report",
    "print_metrics",
    "resume_and_report",
    "run_compare",
    "run_demo",
    "run_experiment",
    "run_explore",
    "save_run",
]
