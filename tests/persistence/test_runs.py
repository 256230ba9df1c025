"""Run directories hold plain contents: what is written is what is read back."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import TINY
from rnncast import Forecaster
from rnncast.errors import DataError, RunError
from rnncast.persistence.files import atomic_directory
from rnncast.persistence.runs import load_run, write_run


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    t = np.arange(80)
    frame = pd.DataFrame(
        {"date": pd.date_range("2020-01-01", periods=80, freq="D"), "y": np.sin(t / 3) + 5}
    )
    return Forecaster(**TINY).fit(frame, target="y")


def test_contents_round_trip(tmp_path, fitted):
    with atomic_directory(tmp_path / "run") as tmp:
        write_run(fitted.contents(), tmp)
    run = load_run(tmp_path / "run")
    mine = fitted.contents()
    assert run.config == mine.config and run.splits == mine.splits and run.usable == mine.usable
    assert run.season == mine.season and run.source == mine.source
    assert run.metrics == mine.metrics and run.history.train_loss == mine.history.train_loss
    # assert_frame_equal names what differs (a dtype, a column, a value), where .equals
    # only said False on one machine
    pd.testing.assert_frame_equal(run.data.frame, mine.data.frame, check_exact=True)
    assert run.data.freq == mine.data.freq
    np.testing.assert_array_equal(run.scaler.scale_, mine.scaler.scale_)
    for name, tensor in mine.weights.items():
        assert torch.equal(run.weights[name], tensor.cpu())  # read onto the CPU


def test_write_run_draws_no_plots(tmp_path, fitted):
    write_run(fitted.contents(), tmp_path)
    assert not list(tmp_path.glob("*.png")) and not (tmp_path / "report.html").exists()


def test_a_failed_write_leaves_nothing_and_the_old_run_whole(tmp_path, fitted):
    path = fitted.save(str(tmp_path / "run"))
    before = (tmp_path / "run" / "metrics.json").read_bytes()
    with pytest.raises(ZeroDivisionError), atomic_directory(path, overwrite=True) as tmp:
        write_run(fitted.contents(), tmp)
        raise ZeroDivisionError  # a failure after every file was written
    assert (tmp_path / "run" / "metrics.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_config_from_the_future_is_refused(tmp_path, fitted):
    path = tmp_path / fitted.save(str(tmp_path / "run"))
    config = json.loads((path / "config.json").read_text())
    config["format_version"] = 99
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="Upgrade rnncast to load it"):
        load_run(path)


def test_the_run_states_how_far_it_reproduces(tmp_path, fitted):
    """config.json records the PyTorch threads the weights were trained with, and says that
    the same seed reproduces them byte for byte only with that many threads."""
    path = Path(fitted.save(str(tmp_path / "run")))
    config = json.loads((path / "config.json").read_text())
    assert config["reproducibility"]["threads"] == torch.get_num_threads() == fitted.threads_
    assert "same number of PyTorch threads" in config["reproducibility"]["note"]
    assert Forecaster.load(str(path)).threads_ == fitted.threads_


SAVED = Path(__file__).parent / "saved"


def test_a_run_saved_before_dates_were_read_on_their_own_clock(tmp_path):
    """A run saved by rnncast as it was before commit 91f5a40, from monthly Berlin data
    (month starts with offsets), read them in UTC: month ends at 23:00. Loaded now, it
    forecasts on from its own dates as it was fitted, and the same data given as newer rows,
    now read on their own clock, are refused in one line that says why and to fit again."""
    run = SAVED / "berlin-2026-11-28"
    model = Forecaster.load(run)
    ahead = model.forecast(2)
    assert list(ahead["date"].astype(str)) == [
        "2019-12-31 23:00:00+00:00",
        "2020-01-31 23:00:00+00:00",
    ]
    dates = pd.date_range("2015-01-01", periods=63, freq="MS", tz="Europe/Berlin")
    text = [d.isoformat() for d in dates]
    frame = pd.DataFrame({"date": text, "y": 100 + np.arange(63.0)})
    frame.to_csv(tmp_path / "newer.csv", index=False)
    why = "frequency is 'MS', the model's 'ME'.* in UTC: fit a new model"
    with pytest.raises(DataError, match=why):
        model.forecast(2, data=tmp_path / "newer.csv")
