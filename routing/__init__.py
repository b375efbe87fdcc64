"""Route planning: the problem model, the OR-Tools solver and the independent plan checker.

This package is pure: it reads no files and speaks no HTTP, so it can be tested and reused anywhere.
"""
