"""What a user reads and pastes: run directories safe in a shell, help that answers to -h and
names only the options a command has, the data summary before training (issue 19)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from rnncast.cli.app import app


def test_a_default_run_directory_is_safe_to_paste(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["fit", "airline", "--target", "passengers", "--model", "gru(4, relu) > dense"]
    result = CliRunner().invoke(app, [*args, "--epochs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}-gru-4-relu-dense", run.name), run.name
    assert (run / "config.json").exists()


def test_help_answers_to_h_and_says_only_what_the_command_has():
    assert "Usage" in CliRunner().invoke(app, ["-h"]).output
    fit_help = CliRunner().invoke(app, ["fit", "-h"])
    assert fit_help.exit_code == 0 and "--seed" in fit_help.output
    assert "--repeats" not in fit_help.output  # fit has no --repeats, so its help never names it


def test_the_data_summary_comes_before_training():
    from rnncast import Forecaster, datasets

    events = []
    Forecaster(model="gru", units=4, epochs=2).fit(
        datasets.load("airline"),
        target="passengers",
        on_prepared=lambda f: events.append(("prepared", f.split_.n_train, f.data_.notes[:])),
        on_epoch=lambda epoch, train, val: events.append(("epoch", epoch)),
    )
    assert events[0][:2] == ("prepared", 101) and events[1] == ("epoch", 1)
    assert any("date" in note for note in events[0][2])  # its notes, to stop a mistaken run


def test_the_command_list_reads_as_sentences():
    from rnncast.cli.common import app as commands

    for info in commands.registered_commands:
        assert info.short_help and "\n" not in info.short_help, info.name
        assert info.short_help.endswith((".", ")")), info.short_help
