"""The unwrap tools."""
