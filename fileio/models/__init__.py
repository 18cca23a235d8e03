"""The models tools' files: the inverse-velocity forecasts' layers and plots."""
