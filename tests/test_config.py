import inspect

import pytest
import typer

from rnncast import FitConfig, Forecaster
from rnncast.cli.app import app
from rnncast.cli.fit import fit as cli_fit
from rnncast.config import setting_names
from rnncast.errors import ConfigError


def test_api_cli_and_config_share_names():
    names = set(setting_names())
    assert set(inspect.signature(Forecaster).parameters) == names | {"verbose"}
    cli = set(inspect.signature(cli_fit).parameters)
    assert names <= cli, names - cli


# The settings a command does not take, and why.
NOT_TAKEN = {
    "fit": set(),
    "compare": {"model", "id", "interval", "fallback", "embed"},  # --models; one series
    "backtest": {"id", "interval", "fallback", "embed"},  # one series
    "tune": {"interval", "fallback", "embed"},  # searched on validation loss
}


@pytest.mark.parametrize("command", sorted(NOT_TAKEN))
def test_every_command_declares_each_setting_once_with_fitconfig_defaults(command):
    """Every settings option of fit, compare, backtest and tune has FitConfig's name, its
    default parses to FitConfig's default, and its help is the one shared declaration."""
    group = typer.main.get_command(app)
    params = {p.name: p for p in group.commands[command].params}
    taken = set(setting_names()) - NOT_TAKEN[command]
    assert taken <= set(params), taken - set(params)
    shared = {p.name: p for p in group.commands["fit"].params}
    defaults = FitConfig()
    for name in taken:
        option = params[name]
        assert option.opts[0] == "--" + name.replace("_", "-")
        parsed = getattr(FitConfig(**{name: option.default}), name)
        assert parsed == getattr(defaults, name), (command, name, option.default)
        assert option.help == shared[name].help, (command, name)


def test_round_trip_and_unknown_key():
    cfg = FitConfig(model="gru", units="32,16", test_size="0.25", val_size="24")
    assert cfg.units == (32, 16) and cfg.test_size == 0.25 and cfg.val_size == 24
    assert FitConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="Unknown setting 'lookbak'. Did you mean 'lookback'"):
        FitConfig.from_dict({"lookbak": 3})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lookback": 0}, "`lookback` must be >= 1, got 0."),
        ({"horizon": 0}, "`horizon` must be >= 1, got 0."),
        ({"epochs": 0}, "`epochs` must be >= 1, got 0."),
        ({"batch_size": 0}, "`batch_size` must be >= 1, got 0."),
        (
            {"model": "lstn"},
            "Unknown model 'lstn'. Did you mean 'lstm'? Presets: bigru, bilstm,",
        ),
        ({"dropout": 1.0}, "`dropout` must be in [0.0, 1.0), got 1.0."),
        ({"units": "64,x"}, "`units` must be whole numbers"),
        ({"test_size": -1}, "`test_size` must be >= 0, got -1."),
        ({"test_size": 1.5}, "`test_size` must be a fraction"),
        ({"lr": 0}, "`lr` must be in (0.0, inf], got 0."),
    ],
)
def test_bad_values_name_the_setting(kwargs, message):
    with pytest.raises(ConfigError) as info:
        FitConfig(**kwargs)
    assert str(info.value).startswith(message)


def test_wrong_types():
    with pytest.raises(TypeError, match="`lookback` must be a whole number"):
        FitConfig(lookback=2.5)
    with pytest.raises(TypeError, match="`target_history` must be True or False"):
        FitConfig(target_history="yes")
