"""A fit, step by step: data in, split and scaled on training rows, a network trained.

:func:`prepare_fit` does every check that can be made before training;
:func:`train_predictor` builds the network from the seed and trains it, resuming from a
checkpoint when given one.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rnncast.config import FitConfig
from rnncast.data.load import load
from rnncast.data.prepared import PreparedData
from rnncast.data.scaling import Scaler
from rnncast.data.seasonal import first_phase
from rnncast.data.split import Split
from rnncast.data.windows import Windows
from rnncast.errors import ConfigError, DataError, RunError
from rnncast.evaluation.baselines import infer_season
from rnncast.forecasting import inputs, panel
from rnncast.forecasting.predictor import Predictor, build_net, trained_parts
from rnncast.persistence.checkpoint import Checkpoint, interrupted, restore, stop_on_signals
from rnncast.persistence.files import check_weights
from rnncast.persistence.runs import RunContents
from rnncast.runtime import distributed as dist
from rnncast.training import parallel
from rnncast.training.loop import History, resolve_device, seed_everything, train
from rnncast.training.progress import epoch_progress


@dataclass
class Prepared:
    """The data of a fit, split and scaled, before any training."""

    config: FitConfig  # with what the data settle (FitConfig.resolve)
    data: PreparedData
    splits: list[Split]
    usable: list[int]
    season: int
    scaler: Scaler
    inputs: list[int]
    targets: list[int]
    known: list[int]

    @property
    def forecast(self) -> list[int]:
        """The used series the model forecasts: all but the reference series."""
        return panel.forecast_groups(self.data, self.usable)


def prepare_fit(cfg: FitConfig, source: Any, names: dict[str, Any]) -> Prepared:
    """Read and check the data, split every series in time, fit the scalers on training
    rows, and check the settings against the data (all before any training)."""
    data = load(source, **names, missing=cfg.missing)
    inputs.check_many_series_options(cfg, data)
    season = cfg.season or infer_season(data.freq)
    cfg = cfg.resolve(season)
    splits, usable = inputs.split_series(data, cfg)
    if data.reference and not panel.forecast_groups(data, usable):
        raise DataError(
            "Every series long enough to train on is a reference series, so none is left to "
            "forecast; give the data's series more rows or a shorter lookback."
        )
    inputs.refill_before_boundaries(data, splits)
    train = [data.series(g).frame.to_numpy()[: max(s.n_train, 1)] for g, s in enumerate(splits)]
    targets = [data.columns.index(t) for t in data.targets]
    lowest = min((float(np.min(train[g][:, targets])) for g in usable), default=1.0)
    cfg = cfg.resolve(season, lowest=lowest)
    scaler = Scaler(cfg.scaler, season)
    if cfg.deseason:  # the season comes out first; the scaler sees what is left
        if season < 2:
            raise ConfigError(
                f"--deseason needs a season of two or more rows, and the season here is "
                f"{season}; give --season N or leave out --deseason."
            )
        phases = [first_phase(data.series(g).frame.index, data.freq) for g in range(len(train))]
        scaler.fit_seasons(train, phases, targets, season)
        train = [scaler.remove_season(r, g, phases[g]) for g, r in enumerate(train)]
    scaler.fit_groups(train)
    if data.static:  # one scale across series, from every used series' training rows
        cols = [data.columns.index(name) for name in data.static_columns]
        rows = [data.series(g).frame.to_numpy()[: splits[g].n_train, cols] for g in usable]
        scaler.share(cols, np.concatenate(rows))
    cfg.layers()  # a spec that does not fit the strategy is refused now, not after training
    columns = roles(cfg, data)
    inputs.check_scaled(scaler, data, usable, splits[0].n_train)
    if cfg.log or cfg.smoothing:
        by = "es()" if cfg.smoothing else "--log"
        inputs.check_positive(scaler, data, usable, splits, by, zero=bool(cfg.log_offset))
    if cfg.smoothing:
        inputs.check_smoothing_season(cfg, season)
    return Prepared(cfg, data, splits, usable, season, scaler, *columns)


def roles(cfg: FitConfig, data: PreparedData) -> tuple[list[int], list[int], list[int]]:
    """Positions of the network's inputs, of the targets and of the known columns in a
    series' frame (features, known columns, targets). The network reads the known columns
    ahead: as the extra columns after the frame's that :meth:`Predictor.scaled` adds."""
    n_feat, n_known = len(data.features), len(data.known)
    width = n_feat + n_known + len(data.targets)
    targets = list(range(n_feat + n_known, width))
    if cfg.resolved_strategy() == "recursive" and data.features:
        raise ConfigError(
            "--strategy recursive feeds the model its own predictions, so every input must "
            "be a target or known ahead; with --features use --strategy direct or seq2seq, "
            "list those columns as targets too, or as --known if their future is known."
        )
    ahead = list(range(width, width + n_known))
    columns = list(range(n_feat)) + ahead + (targets if cfg.target_history else [])
    return columns, targets, list(range(n_feat, n_feat + n_known))


def loaded_predictor(run: RunContents, where: str) -> Predictor:
    """The predictor of a run read from disk, its weights checked against the network
    its settings describe before they are loaded."""
    cfg = run.config
    columns = roles(cfg, run.data)
    prep = Prepared(cfg, run.data, run.splits, run.usable, run.season, run.scaler, *columns)
    device = resolve_device("auto" if cfg.device == "cuda" else cfg.device)
    with torch.device("meta"):  # shapes only: nothing the settings ask for is allocated ...
        shapes = new_predictor(cfg, prep, device).net.state_dict()
    check_weights(run.weights, shapes, where)  # ... before they agree with the weights read
    p = new_predictor(cfg, prep, device)
    p.net.load_state_dict(run.weights)
    p.net = p.net.to(device).eval()
    return p


def new_predictor(cfg: FitConfig, prep: Prepared, device: torch.device) -> Predictor:
    """The predictor of ``prep`` with a freshly initialised network (from PyTorch's seed)."""
    embed = cfg.embed if prep.data.ids else 0
    n_series = prep.data.n_series
    net = build_net(cfg, len(prep.inputs), len(prep.targets), n_series, embed, prep.season)
    return Predictor(
        net,
        prep.scaler,
        prep.inputs,
        prep.targets,
        cfg.window,
        cfg.steps,
        cfg.resolved_strategy(),
        device,
        embedded=bool(embed) or cfg.smoothing,  # es keeps coefficients per series
        known=prep.known,
        pad=cfg.pad,
        reads=cfg.lookback,
        blank=bool(cfg.trend),
    )


def train_predictor(
    cfg: FitConfig,
    prep: Prepared,
    device: torch.device,
    on_epoch=None,
    ctx: dist.Context = dist.SINGLE,
    stop=None,
    resume: Checkpoint | None = None,
) -> tuple[Predictor, History]:
    """Seed, build and train the network on every used series' training windows."""
    reach = 1 if cfg.resolved_strategy() == "recursive" else cfg.max_step  # rows a window needs
    seed_everything(cfg.seed)
    p = new_predictor(cfg, prep, device)
    values, train_origins, val_origins = panel.training_origins(
        p, prep.data, prep.splits, prep.usable, reach
    )
    steps = (1,) if p.strategy == "recursive" else p.steps  # what the network emits

    def windows(origins) -> Windows:
        args = (p.lookback, steps, p.inputs, p.targets, origins)
        return Windows(values, *args, with_series=p.embedded)

    val_set = windows(val_origins) if len(val_origins) else None
    train_set = windows(train_origins)
    nets = trained_parts(p.net)
    first, state = 0, None
    if resume is not None:
        first = resume.progress.member
        if first >= len(nets):
            raise RunError(f"The checkpoint's ensemble member {first} is not in the model.")
        state = restore(resume, p.net, "the checkpoint", nets[first])
    p.net = p.net.to(device)
    processes = member_processes(cfg, len(nets) - first, device, ctx, len(train_set))
    sets = (train_set, val_set)
    if processes > 1:
        history = _side_by_side(cfg, nets, first, state, sets, processes, on_epoch, stop)
    else:
        history = _in_turn(cfg, nets, first, state, sets, device, on_epoch, ctx, stop)
    why = in_turn_only(device, ctx)
    if cfg.jobs is not None and cfg.jobs > 1 and len(nets) - first > 1 and why is not None:
        history.jobs_unused = f"--jobs {cfg.jobs} was not used: {why}"
    p.net = p.net.eval()
    return p, history


# Window-epochs of training below which members train in turn (forking workers and sending
# them the windows costs more than it gives). Measured by benchmarks/members.py on 2 cores:
# side by side took 2.8 x as long at 2,000 window-epochs, broke even at 16,000, and was 1.4 x
# faster at 31,000 and 1.9 x at 236,000.
SIDE_BY_SIDE_WORK = 20_000


def member_processes(
    cfg: FitConfig, members: int, device: torch.device, ctx: dist.Context, windows: int
) -> int:
    """How many processes train the ``members`` left at once: ``cfg.jobs`` where given, else
    one per core on a CPU when there is enough work to repay starting them (one process under
    a distributed run or on a GPU)."""
    if members < 2 or in_turn_only(device, ctx) is not None:
        return 1
    if cfg.jobs is not None:
        return min(cfg.jobs, members)
    if windows * cfg.epochs * members < SIDE_BY_SIDE_WORK:
        return 1
    return max(1, min(torch.get_num_threads(), members))


def in_turn_only(device: torch.device, ctx: dist.Context) -> str | None:
    """Why an ensemble's members cannot train side by side here; None where they can."""
    if ctx.world > 1:
        return "under torchrun each process trains every member in turn"
    if device.type != "cpu":
        return f"on the {device.type} device members train one after another"
    if not parallel.available():
        return "this system cannot fork worker processes, so members train one after another"
    if torch.cuda.is_initialized():  # autograd's GPU threads do not survive a fork
        return "this process has used the GPU, after which forked workers cannot train"
    return None


def _in_turn(cfg, nets, first, state, sets, device, on_epoch, ctx, stop) -> History:
    """Members ``first`` .. trained one after another, the first from ``state`` if given."""
    seconds, windows_seen = 0.0, 0
    for k in range(first, len(nets)):
        member_cfg = cfg.member(k)  # its own shuffling, dropout, and loss where they vary
        resumed = k == first and state is not None  # the checkpoint holds its random state
        if k > 0 and not resumed:  # the first goes on from the seed that built the networks
            seed_everything(member_cfg.seed)
        resume = state if k == first else None
        history = train(nets[k], *sets, member_cfg, device, on_epoch, ctx, stop, resume)
        seconds, windows_seen = seconds + history.seconds, windows_seen + history.train_windows
        if history.interrupted is not None:
            history.interrupted.member = k
            break
    history.seconds, history.train_windows = seconds, windows_seen  # of every member
    return history


def _side_by_side(cfg, nets, first, state, sets, processes, on_epoch, stop) -> History:
    """Members ``first`` .. trained at once in ``processes`` workers (see
    :mod:`rnncast.training.parallel`). Stopped, the members before the first unfinished one
    keep their weights, that one its progress (the checkpoint's), and the later ones their
    starting weights, so that a resume retrains them to the same numbers."""
    jobs = []
    for k in range(first, len(nets)):
        resume = state if k == first else None
        rng = torch.get_rng_state() if k == 0 and resume is None else None  # as in turn
        jobs.append((k, nets[k], cfg.member(k), resume, rng))
    start = time.perf_counter()
    results = parallel.train_members(jobs, *sets, processes, on_epoch, stop)
    wall = time.perf_counter() - start
    history, windows_seen = None, 0
    for k in sorted(results):
        weights, history = results[k]
        nets[k].load_state_dict(weights)
        windows_seen += history.train_windows
        if history.interrupted is not None:
            history.interrupted.member = k
            break  # the later members keep the weights they started from, and count nothing
    history.seconds = wall + (state[0].seconds if state is not None else 0.0)
    history.train_windows = windows_seen
    history.processes = processes
    return history


@contextlib.contextmanager
def fit_context(cfg: FitConfig, checkpoint, verbose: bool, on_epoch, ctx):
    """Signal handling (with a checkpoint) and a progress display (when verbose) for a fit;
    yields ``(stop, on_epoch)``."""
    with contextlib.ExitStack() as stack:
        stop = None
        if checkpoint is not None and ctx is dist.SINGLE:
            stop = stack.enter_context(stop_on_signals())
        if on_epoch is None and verbose:
            on_epoch = stack.enter_context(epoch_progress(None, cfg.epochs, enabled=ctx.main))
        yield stop, on_epoch


def check_interrupted(cfg, history, net, checkpoint, data: PreparedData, source, stop) -> None:
    """Raise the error of an interrupted training, after writing its checkpoint."""
    if history.interrupted is None:
        return
    fit = {
        "source": source,
        "target": list(data.targets),
        "date": data.date,
        "features": list(data.features),
        "id": data.id_column,
        "known": list(data.user_known),
        "static": list(data.static or {}),
        "calendar": list(data.calendar),
        "holidays": data.holidays,
        "wide": data.wide,
    }
    raise interrupted(cfg, history, net, checkpoint, fit, stop.signum if stop else 0)
