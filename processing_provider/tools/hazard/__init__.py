"""The hazard-map tools: susceptibility, forecasts, mining subsidence, damage, swath profiles."""
