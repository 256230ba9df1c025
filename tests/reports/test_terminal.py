from rnncast.config import FitConfig
from rnncast.reports.terminal import leaderboard_columns, model_name, verdict


def _metrics(model: float, naive: float, seasonal: float) -> dict:
    block = {
        "model": {"rmse": model},
        "naive": {"rmse": naive},
        "seasonal_naive": {"rmse": seasonal},
    }
    return {"test": {"one_step": block, "recursive": None}}


def test_verdict_says_plainly_who_wins():
    (line,) = verdict(_metrics(2.0, 1.0, 3.0), "GRU(8)")
    assert "does NOT beat the naive forecast (RMSE 2 vs 1)" in line
    (line,) = verdict(_metrics(1.0, 2.0, 3.0), "GRU(8)")
    assert "beats the naive forecast by 50.0% in RMSE and also beats the seasonal" in line
    (line,) = verdict(_metrics(1.0, 2.0, 0.5), "GRU(8)")
    assert "but NOT the seasonal naive forecast (RMSE 1 vs 0.5)" in line


def test_model_names_are_short():
    assert model_name(FitConfig(model="gru", units=(8, 4))) == "GRU(8,4)"
    long = FitConfig(model=" > ".join(["lstm(64)"] * 10) + " > dense")
    assert len(model_name(long)) <= 60 and model_name(long).endswith("...")


def test_spaces_around_a_model_name_never_reach_a_sentence():
    """`--model "stacked-gru "` once made "the stacked-gru  beats": the spec is stored with
    single spaces, so every name, verdict and run directory made from it reads cleanly."""
    cfg = FitConfig(model="  stacked-gru ")
    assert cfg.model == "stacked-gru" and model_name(cfg) == "stacked-gru"
    assert FitConfig(model=" gru ").model == "gru"  # a simple model, not a one-layer spec
    assert FitConfig(model="gru(8)  >   dense").model == "gru(8) > dense"
    metrics = {"test": {"one_step": {k: {"rmse": r} for k, r in _rmses(1, 2, 3).items()}}}
    assert "  " not in verdict(metrics, model_name(cfg))[0]


def _rmses(model, naive, seasonal):
    return {"model": model, "naive": naive, "seasonal_naive": seasonal}


def test_a_leaderboard_shows_its_ranked_metric_in_both_modes_and_one_free_of_units():
    assert leaderboard_columns(("one_step", "rmse")) == [
        ("one-step RMSE", "one_step_rmse"),
        ("recursive RMSE", "recursive_rmse"),
        ("one-step MASE", "one_step_mase"),
    ]
    assert [label for label, _ in leaderboard_columns(("recursive", "mase"))] == [
        "recursive MASE",
        "one-step MASE",
        "one-step SMAPE",
    ]
