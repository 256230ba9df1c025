from rnncast.config import FitConfig
from rnncast.reports.terminal import model_name, verdict


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
