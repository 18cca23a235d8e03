"""The unwrapping tool's files: wrapped interferograms read (complex or phase), unwrapped phases and their
connected components written."""
