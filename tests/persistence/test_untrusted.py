"""Run directories from elsewhere: read as JSON, CSV and safetensors only, refused when odd."""

import json
import pickle
import re
from pathlib import Path

import pytest

from helpers import TINY
from rnncast import Forecaster
from rnncast.errors import RunError

SRC = Path(__file__).resolve().parents[2] / "src" / "rnncast"


@pytest.fixture
def run(tmp_path, daily_frame) -> Path:
    f = Forecaster(**TINY).fit(daily_frame, target="y")
    return Path(f.save(str(tmp_path / "run")))


def _edit_config(run: Path, change) -> None:
    config = json.loads((run / "config.json").read_text())
    change(config)
    (run / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("name", ["weights.safetensors", "scaler.json", "history.csv"])
def test_pickle_content_is_refused(run, name):
    (run / name).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(RunError, match=f"{name} .* holds pickle data; rnncast never loads"):
        Forecaster.load(str(run))


def test_symlink_out_of_the_directory_is_refused(run, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text((run / "scaler.json").read_text())
    (run / "scaler.json").unlink()
    (run / "scaler.json").symlink_to(outside)
    with pytest.raises(RunError, match="link to a file outside the run directory"):
        Forecaster.load(str(run))


def test_truncated_weights_are_refused(run):
    data = (run / "weights.safetensors").read_bytes()
    (run / "weights.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="not a readable safetensors file"):
        Forecaster.load(str(run))


def test_weights_with_wrong_names_or_shapes_are_refused(run):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(run / "weights.safetensors"))
    renamed = {("x." + k if i == 0 else k): v for i, (k, v) in enumerate(tensors.items())}
    save_file(renamed, str(run / "weights.safetensors"))
    with pytest.raises(RunError, match="do not match the network"):
        Forecaster.load(str(run))
    first = next(iter(tensors))
    save_file({**tensors, first: tensors[first][:1].clone()}, str(run / "weights.safetensors"))
    with pytest.raises(RunError, match="has the wrong shape or type"):
        Forecaster.load(str(run))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["settings"].update(lookbak=3), "Unknown setting 'lookbak'"),
        (lambda c: c["settings"].update(epochs="many"), "`epochs` must be a whole number"),
        (lambda c: c["data"].update(target="y"), "data.target is 'y'"),
        (lambda c: c["derived"].update(season=-1), "derived.season is -1"),
        (lambda c: c["derived"].update(splits=[[1, 2]]), "derived.splits"),
        (lambda c: c.update(format_version=99), "run format 99; this rnncast .* Upgrade"),
        (lambda c: c.update(format="other"), "is not an rnncast run"),
        (lambda c: c.pop("derived"), "has no 'derived' object"),
    ],
)
def test_crafted_configs_are_refused(run, change, message):
    _edit_config(run, change)
    with pytest.raises(RunError, match=message):
        Forecaster.load(str(run))


def test_the_writer_is_recorded(run):
    config = json.loads((run / "config.json").read_text())
    assert config["versions"]["rnncast"] and config["format_version"] == 1


def test_no_code_runs_from_files_anywhere_in_the_package():
    """No pickle, no eval or exec, no torch.load without weights_only=True."""
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"(?<![.\w])(eval|exec)\(", text), path  # .eval() is torch
        assert not re.search(r"^\s*import pickle|pickle\.load", text, re.M), path
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, (path, call)


def test_two_fits_to_one_destination(tmp_path, daily_frame):
    """The second writer is refused while the first holds the destination, and a fit that
    finds the destination filled while it trained does not replace it."""
    from rnncast.errors import RnncastError
    from rnncast.persistence.files import atomic_directory, writer_lock

    out = tmp_path / "run"
    with writer_lock(out):
        with pytest.raises(RnncastError, match="Another rnncast process is writing to"):
            with writer_lock(out):
                pass
    assert not list(tmp_path.glob(".run.lock"))  # released and removed
    with pytest.raises(RnncastError, match="already exists"):
        with atomic_directory(out) as first:
            (first / "a").write_text("first")
            with atomic_directory(out) as second:  # finishes first: its files land
                (second / "b").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == [".rnncast", "b"]  # whole, not mixed
    assert not list(tmp_path.glob(".run.tmp-*"))


def test_same_seed_same_metrics_and_weights(tmp_path, daily_frame):
    paths = [
        Forecaster(**TINY, dropout=0.1).fit(daily_frame, target="y").save(str(tmp_path / f"r{k}"))
        for k in range(2)
    ]
    a, b = (Path(p) for p in paths)
    assert (a / "weights.safetensors").read_bytes() == (b / "weights.safetensors").read_bytes()
    ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
    ma.pop("train_seconds"), mb.pop("train_seconds")
    assert ma == mb


def test_a_safetensors_header_length_starting_with_0x80_is_not_a_pickle(tmp_path):
    """A header of 0x0?80 bytes makes a safetensors file open like a pickle; the brace after
    the length tells them apart (a 'mixed' model's weights hit exactly this once)."""
    import torch
    from safetensors.torch import save_file

    from rnncast.persistence.files import looks_like_pickle

    for n in range(1, 800):
        save_file({"a" * n: torch.zeros(1)}, str(tmp_path / "w.safetensors"))
        head = (tmp_path / "w.safetensors").read_bytes()[:9]
        if head[0] == 0x80 and 2 <= head[1] <= 5:
            break
    else:
        pytest.fail("no header length starting with 0x80 was produced")
    assert not looks_like_pickle(head, safetensors=True)
    assert looks_like_pickle(pickle.dumps([1.0])[:9], safetensors=True)


# -- every file of a run is checked on read, by class of damage --------------------------------
def _nan_weight(run: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(run / "weights.safetensors"))
    name = sorted(tensors)[0]
    tensors[name].view(-1)[0] = float("nan")
    save_file(tensors, str(run / "weights.safetensors"))


def _scaler(change):
    def damage(run: Path) -> None:
        state = json.loads((run / "scaler.json").read_text())
        change(state)
        (run / "scaler.json").write_text(json.dumps(state))

    return damage


def _series(change):
    def damage(run: Path) -> None:
        lines = (run / "series.csv").read_text().splitlines()
        (run / "series.csv").write_text("\n".join(change(lines)) + "\n")

    return damage


DAMAGES = {
    "NaN in the weights": (_nan_weight, "holds NaN or infinite values"),
    "scaler of the wrong width": (
        _scaler(lambda s: s.update(shift=[[0.0, 0.0]], scale=[[1.0, 1.0]])),
        "does not hold finite statistics for 1 series of 1 columns",
    ),
    "scaler with a NaN": (
        _scaler(lambda s: s.update(shift=[[float("nan")]])),
        "does not hold finite statistics",
    ),
    "series reversed": (
        _series(lambda lines: [lines[0], *reversed(lines[1:])]),
        "dates in .* are not strictly increasing",
    ),
    "last row repeated": (
        _series(lambda lines: [*lines, lines[-1]]),
        "do not cover the rows of series.csv|not strictly increasing",
    ),
    "last row emptied": (
        _series(lambda lines: [*lines[:-1], lines[-1].split(",")[0] + ","]),
        "empty or non-finite value",
    ),
    "deeply nested metrics": (
        lambda run: (run / "metrics.json").write_text("[" * 100_000 + "]" * 100_000),
        "nested deeper than any file rnncast writes",
    ),
    "metrics not an object": (
        lambda run: (run / "metrics.json").write_text("[1, 2]"),
        "metrics.json .* is not what rnncast writes",
    ),
    "history of words": (
        lambda run: (run / "history.csv").write_text("epoch,train_loss,val_loss\n1,low,\n"),
        "is not a training history rnncast wrote",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_a_damaged_file_is_refused_by_name_in_the_api_and_the_cli(run, case):
    damage, message = DAMAGES[case]
    damage(run)
    with pytest.raises(RunError, match=message):
        Forecaster.load(str(run))
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    result = CliRunner().invoke(app, ["forecast", str(run), "--steps", "2"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output and re.search(message, " ".join(result.stderr.split()))


def test_a_crafted_size_allocates_nothing_before_the_weights_disagree(run):
    """units [4096] would ask for about 270 MB; it is refused from the weights' shapes, with
    memory as before (measured in a fresh process)."""
    _edit_config(run, lambda c: c["settings"].update(units=[4096]))
    code = (
        "import resource, sys\n"
        "from rnncast import Forecaster\n"
        "from rnncast.errors import RunError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        f"    Forecaster.load({str(run)!r})\n"
        "except RunError as exc:\n"
        "    print('refused', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, exc)\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.startswith("refused") and "wrong shape" in out, out
    grown_kb = int(out.split()[1])
    assert grown_kb < 100_000, f"{grown_kb} kB allocated before refusing"
