"""Ground motion as points and maps: dated points, ADA, kinematics, geometry, forecasts, profiles."""
