"""Models of a displacement time series: the time-series models (linear, seasonal, breakpoints, acceleration) and
their block function, the inverse-velocity failure forecasts."""
