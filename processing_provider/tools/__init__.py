"""The Processing tools: one class per file, ``tools/<family>/<tool ID>.py``, found by the provider.

A family folder holds its tools and the helpers they share (``_common.py``); files whose name starts
with ``_`` hold no tool. See docs/architecture.md ("Add a tool").
"""
