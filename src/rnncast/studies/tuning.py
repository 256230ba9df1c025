"""Searching lookback, units, layers, dropout, learning rate and batch size with Optuna.

The study lives in a database: SQLite by default (``sqlite:///DIR/study.db``), so a search
that was stopped resumes where it was; any URL Optuna accepts (PostgreSQL, MySQL) lets many
workers on many machines share one study. Every trial trains on the same split and is judged
by its best validation loss; trials that lag the median are pruned early. The test part is
never looked at.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

from rnncast.config import AUTO, SIMPLE_MODELS, FitConfig
from rnncast.errors import ConfigError, RnncastError
from rnncast.forecasting.forecaster import Forecaster
from rnncast.persistence.files import open_lock, write_text_atomic

UNITS = (16, 32, 64, 128)
BATCHES = (16, 32, 64, 128)


def default_storage(out_dir: str) -> str:
    return f"sqlite:///{Path(out_dir).resolve() / 'study.db'}"


def suggest(trial, base: FitConfig) -> dict[str, Any]:
    """One trial's settings around the base settings."""
    layers = trial.suggest_int("layers", 1, 3)
    units = trial.suggest_categorical("units", UNITS)
    around = base.lookback or max(2 * base.max_step, 12)  # left to the data: a guess
    return {
        "lookback": trial.suggest_int("lookback", max(2, around // 2), 2 * around),
        "units": (units,) * layers,
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", BATCHES),
    }


def tune(
    data: Any,
    target: str | None,
    settings: dict[str, Any],
    trials: int,
    out_dir: str,
    storage: str | None = None,
    study_name: str = "rnncast",
    date: str | None = None,
    features=(),
    id: str | None = None,
    on_trial=None,
    known: dict[str, Any] | None = None,
    reference: Any = None,
    wide: bool = False,
):
    """Run ``trials`` more trials of the study; returns it (best settings in ``best.json``).
    ``known``: :meth:`Forecaster.fit`'s ``known``, ``calendar`` and ``holidays``;
    ``reference``: its reference series, which train every trial and neither judge it (the
    validation loss is the data's series') nor are scored; ``wide``: the data hold one column
    per series (:meth:`Forecaster.fit`'s ``wide``)."""
    import optuna

    base = FitConfig(**settings)
    if base.model not in (*SIMPLE_MODELS, AUTO):
        raise ConfigError(
            "tune searches --model lstm, gru, rnn or dense (their units, layers "
            "and dropout); a spec fixes those itself."
        )
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"`trials` must be a whole number >= 1, got {trials!r}.")
    if base.val_size in (0, 0.0):
        raise ConfigError("tune judges trials by validation loss: give --val-size above 0.")
    names = {"target": target, "date": date, "features": features, "id": id}
    names |= {"reference": reference, "wide": wide, **(known or {})}
    check_data(settings, data, names)  # bad data: one line, and no study, folder or trial
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    url = storage or default_storage(out_dir)
    # rnncast says what happens itself; a failed trial's error reaches the caller anyway
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with _creation_lock(url):  # two workers must not both create the database's tables
        study = optuna.create_study(
            study_name=study_name,
            storage=_storage(url),
            direction="minimize",
            load_if_exists=True,
            pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3),
        )
    study.sampler = optuna.samplers.TPESampler(seed=_sampler_seed(base.seed, study, storage))

    stopping: list = []

    def objective(trial) -> float:
        chosen = {**settings, **suggest(trial, base)}
        trial.set_user_attr("settings", FitConfig(**chosen).to_dict())

        reports = []  # an ensemble's members each count epochs from 1: steps go on across them

        def report(epoch: int, train_loss: float, val_loss: float | None) -> None:
            stopping[0]()  # a stop asked for ends this trial here, as failed
            reports.append(val_loss)
            trial.report(val_loss, len(reports))
            if trial.should_prune():
                raise optuna.TrialPruned()

        f = Forecaster(**chosen).fit(data, on_epoch=report, **names)
        trial.set_user_attr("test", test_summary(f.metrics_))
        return min(f.history_.val_loss)

    def ended(study, trial) -> None:
        check()
        if on_trial is not None:
            on_trial(trial)

    with _interruptible(url) as check:  # a stop fails the running trial, never leaves it RUNNING
        stopping.append(check)
        study.optimize(objective, n_trials=trials, catch=(), callbacks=[ended])
    return study


class _Prepared(Exception):
    """Ends :func:`check_data`'s fit once the data are read and checked."""


def check_data(settings: dict[str, Any], data: Any, names: dict[str, Any]) -> None:
    """Read and check the data with the base settings, as every trial's fit will, and stop
    before training: what is wrong with them is said before the study records a trial."""

    def stop(_) -> None:
        raise _Prepared

    with contextlib.suppress(_Prepared):
        Forecaster(**settings).fit(data, on_prepared=stop, **names)


def test_summary(metrics: dict | None) -> dict[str, Any] | None:
    """A trial's test scores beside the baselines' (one-step RMSE and MASE, in original
    units), for the report of the best trial; never used to choose (validation does)."""
    test = (metrics or {}).get("test")
    if not test:
        return None
    block = test["one_step"]
    return {
        who: {"rmse": block[who]["rmse"], "mase": block[who]["mase"]}
        for who in ("model", "naive", "seasonal_naive")
    }


def trial_line(trial) -> str:
    """One line on a finished trial: its validation loss, or where it was pruned or failed."""
    state = trial.state.name.lower()
    steps = trial.intermediate_values
    if state == "complete":
        return f"trial {trial.number}: best validation loss {trial.value:.4g}"
    if state == "pruned" and steps:
        last = max(steps)
        return (
            f"trial {trial.number}: pruned after {last} epoch report(s), validation loss "
            f"{steps[last]:.4g} (behind the median of earlier trials)"
        )
    return f"trial {trial.number}: {state}"


class TuningInterrupted(RnncastError):
    """SIGINT or SIGTERM stopped a search; the trials finished before stay in the study."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


@contextlib.contextmanager
def _interruptible(url: str):
    """Turn SIGINT and SIGTERM (also where the shell ignored them, as for a background job)
    into a request that the running trial honours at its next epoch: it ends as failed and
    the search stops, the study usable. A second Ctrl-C stops at once. Yields the check."""
    asked: list[int] = []

    def check() -> None:
        if asked:
            name = signal.Signals(asked[0]).name
            raise TuningInterrupted(
                f"Tuning stopped by {name}; the running trial is marked failed and the "
                f"finished ones stay in the study ({url}). Run the same tune command again "
                "to go on.",
                asked[0],
            )

    if threading.current_thread() is not threading.main_thread():
        yield check
        return

    def ask(signum, frame):
        if asked and signum == signal.SIGINT:
            raise KeyboardInterrupt
        asked.append(signum)

    previous = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield check
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _sampler_seed(seed: int, study, storage: str | None) -> int:
    """The same search from the same ``--seed``: seeded by it and the trials already run (so a
    resumed study draws new settings). Workers sharing a study through ``--storage`` also mix
    in their process id, or they would all try the same settings."""
    offset = len(study.trials)
    if storage is not None:
        offset += 1_000_003 * os.getpid()
    return (seed + offset) % 2**32


@contextlib.contextmanager
def _creation_lock(url: str):
    """An exclusive lock beside a SQLite file while the study is opened or created; other
    databases handle concurrent creation themselves."""
    if not url.startswith("sqlite:///"):
        yield
        return
    lock = Path(url.removeprefix("sqlite:///") + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open_lock(lock) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _storage(url: str):
    import optuna

    if url.startswith("sqlite"):  # several workers on one file: wait for the lock
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    return url


def best_config(study) -> dict[str, Any]:
    """What ``fit --config`` reads: the best trial's settings, with where they came from, and
    its test scores beside the baselines' (reported, never chosen on)."""
    import optuna

    best = study.best_trial
    states = [t.state for t in study.trials]
    done = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED
    return {
        "settings": best.user_attrs["settings"],
        "best_val_loss": best.value,
        "trial": best.number,
        "study": study.study_name,
        "trials": sum(state in done for state in states),  # run to the end or pruned
        "pruned": states.count(optuna.trial.TrialState.PRUNED),
        "failed": states.count(optuna.trial.TrialState.FAIL),  # stopped, or an error
        "test": best.user_attrs.get("test"),
    }


def write_results(study, out_dir: str) -> None:
    out = Path(out_dir)
    best = json.dumps(best_config(study), indent=2) + "\n"
    write_text_atomic(out / "best.json", best, overwrite=True)  # the study's own files
    frame = study.trials_dataframe()
    write_text_atomic(out / "trials.csv", frame.to_csv(index=False), overwrite=True)
    _plot_history(study, out / "history.png")


def _plot_history(study, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.scatter(
        [t.number for t in done],
        [t.value for t in done],
        color="#1f77b4",
        label="completed trial",
        zorder=3,
    )
    for t in pruned:
        if t.intermediate_values:
            ax.scatter(
                t.number,
                min(t.intermediate_values.values()),
                marker="x",
                color="#999999",
                label="pruned (best value reached)",
            )
    best, xs, ys = float("inf"), [], []
    for t in sorted(done, key=lambda t: t.number):
        best = min(best, t.value)
        xs.append(t.number)
        ys.append(best)
    ax.step(xs, ys, where="post", color="#d62728", label="best so far")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys())
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("best validation loss (scaled)")
    ax.set_title(f"Search history of study {study.study_name!r}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
