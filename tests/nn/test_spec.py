import pytest

from rnncast.errors import ConfigError
from rnncast.nn.spec import PRESETS, parse_spec, spec_text


def test_text_round_trips_through_its_canonical_form():
    layers = parse_spec("lstm(64, relu) > dropout(0.2) > gru(32) > dense")
    assert [layer.kind for layer in layers] == ["lstm", "dropout", "gru", "dense"]
    assert parse_spec(spec_text(layers)) == layers


def test_every_preset_parses():
    for name in PRESETS:
        assert parse_spec(name) == parse_spec(PRESETS[name])


def test_a_list_of_layers_equals_the_text():
    assert parse_spec(["lstm(8)", "dense"]) == parse_spec("lstm(8) > dense")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("lstn", "Unknown model 'lstn'. Did you mean 'lstm'?"),
        ("lstm(8) > > dense", "has an empty layer"),
        ([], "The model spec is empty"),
        ("lstm(8, dilation=0)", r"lstm\(dilation=...\) must be a whole number >= 1; got 0"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(spec)
