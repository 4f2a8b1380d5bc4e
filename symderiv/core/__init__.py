"""The shared vocabulary: arrays, exact polynomials, the chain rule, symbol names, parsers,
result records, figures as data, options as data, and the Family record with its registry.

Imports: the standard library, SymPy and nothing else of symderiv's above ``core``
(``tests/test_architecture.py`` checks it).
"""
