"""Names a user pastes: a default run directory is safe in a shell whatever the model spec."""

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
