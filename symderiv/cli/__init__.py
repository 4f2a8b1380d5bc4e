"""The command line: ``symderiv NAME`` and ``symderiv verify NAME`` for every registered layer,
``symderiv notes``, the option types and the output writers.

Imports: ``layers``, ``render`` and ``core`` (``tests/test_architecture.py`` checks it).
"""

from .main import cli, main

__all__ = ["cli", "main"]
