"""Two processes on the CPU (gloo) train the same model as one process, and one writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app

ARGS = [
    "fit",
    "bitcoin",
    "--target",
    "close",
    "--units",
    "8",
    "--lookback",
    "10",
    "--epochs",
    "3",
    "--batch-size",
    "32",
    "--seed",
    "3",
    "--quiet",
    "--device",  # gloo on CPUs; on a GPU machine NCCL would want a GPU per process
    "cpu",
]


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            str(torchrun),
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "rnncast",
            *ARGS,
            "--distributed",
            "--out",
            str(tmp_path / "runs" / "two"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    single = CliRunner().invoke(app, [*ARGS, "--out", str(tmp_path / "one")])
    assert single.exit_code == 0, single.output
    two = pd.read_csv(tmp_path / "runs" / "two" / "history.csv")
    one = pd.read_csv(tmp_path / "one" / "history.csv")
    assert (
        abs(two["train_loss"].iloc[-1] - one["train_loss"].iloc[-1])
        < 1e-3 * one["train_loss"].iloc[-1]
    )
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["two"]  # rank 0 alone wrote
    assert done.stdout.count("Run saved to") == 1
    assert "Distributed over 2 processes" in " ".join(done.stdout.split())
    config = json.loads((tmp_path / "runs" / "two" / "config.json").read_text())
    assert config["reproducibility"]["processes"] == 2
    assert (
        json.loads((tmp_path / "one" / "config.json").read_text())["reproducibility"]["processes"]
        == 1
    )
    assert Forecaster.load(str(tmp_path / "runs" / "two")).processes_ == 2


@pytest.mark.slow
def test_distributed_needs_a_launcher(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    done = subprocess.run(
        [sys.executable, "-m", "rnncast", *ARGS, "--distributed", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and "needs a launcher" in done.stderr
    assert not (tmp_path / "x").exists()


def test_more_processes_than_gpus_is_one_line_before_joining(monkeypatch):
    """NCCL wants a GPU per process: two processes on a machine with fewer GPUs stop at once
    (every one of them the same way), before any waits for the others."""
    from rnncast.errors import ConfigError
    from rnncast.runtime import distributed as dist

    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match=r"2 processes on this machine but 1 GPU.*--device cpu"):
        dist.start(32, torch.device("cuda"))


@pytest.mark.slow
def test_cpu_processes_join_with_gloo_even_where_a_gpu_is_visible(tmp_path):
    """--device cpu on a GPU machine trains with gloo (NCCL cannot carry CPU tensors)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code = (
        "import torch, torch.distributed as d\n"
        "from rnncast.runtime import distributed as dist\n"
        "torch.cuda.is_available = lambda: True  # as on a GPU machine\n"
        "dist.start(32, torch.device('cpu'))\n"
        "print(d.get_backend())\n"
        "d.destroy_process_group()\n"
    )
    script = tmp_path / "join.py"
    script.write_text(code)
    torchrun = Path(sys.executable).with_name("torchrun")
    done = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node", "1", str(script)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["gloo"]
