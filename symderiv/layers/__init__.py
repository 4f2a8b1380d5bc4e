"""The layer families, one folder each; ``FAMILIES`` is the list the rest of symderiv reads.

Adding a family: a folder here with the same stage files as the others and a ``FAMILY``
record in its ``__init__``, its templates, and one line below. Imports: ``render`` and ``core``;
a family never imports another (``tests/test_architecture.py`` checks both).
"""

from __future__ import annotations

from ..core.family import Registry
from . import activation, chain_rule, conv, flatten, linear, loss, norm, pool, softmax

FAMILIES = Registry(
    (
        conv.FAMILY,
        activation.FAMILY,
        pool.FAMILY,
        chain_rule.FAMILY,
        norm.FAMILY,
        linear.FAMILY,
        flatten.FAMILY,
        softmax.FAMILY,
        loss.FAMILY,
    )
)
