"""Rendering: the Jinja environment, LaTeX helpers, the shared JSON pieces, SVG and TikZ
figures, documents with their figure files, and the course notes.

Imports: ``core`` only, never a family; a derivation carries the view that shows it
(``tests/test_architecture.py`` checks it).
"""
