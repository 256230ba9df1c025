"""Networks: plain ``nn.Module``s mapping windows (B, L, F) to forecasts (B, H, C)."""
