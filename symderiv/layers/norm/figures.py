"""The figure of a normalisation layer: its forward computation graph for one group.

The nodes and edges are the generic graph the text states (x_i feeds mu, sigma^2 and xhat_i; mu
feeds sigma^2 and xhat_i; sigma^2 feeds xhat_i; xhat_i, gamma and beta feed y_i), so that the
figure and the derivation's ``Backward`` graph agree (a test compares them). Drawn only in
training mode; in eval mode the statistics are constants and there is no graph to speak of.
"""

from __future__ import annotations

from ...core.figures import Edge, GraphFigure, Node, Run
from ...core.symbols import LOSS
from .result import NormDerivation

X = (Run("x", "italic"), Run("i", "sub"))
MEAN = (Run("μ", "italic"),)
VARIANCE = (Run("σ²", "italic"),)
NORMALISED = (Run("x̂", "italic"), Run("i", "sub"))
SCALE = (Run("γ", "italic"),)
SHIFT = (Run("β", "italic"),)
Y = (Run("y", "italic"), Run("i", "sub"))


def build(derivation: NormDerivation) -> dict[str, GraphFigure]:
    if not derivation.spec.training:
        return {}
    # Placed so that no two arrows run side by side: each label sits beside its own arrow.
    nodes = (
        Node("x", X, (0, 2.2)),
        Node("mean", MEAN, (2, 0)),
        Node("variance", VARIANCE, (6.5, 0)),
        Node("normalised", NORMALISED, (9, 2.2)),
        Node("scale", SCALE, (9.5, 4.2), tone="kernel"),
        Node("shift", SHIFT, (13.5, 4.2), tone="kernel"),
        Node("y", Y, (11.5, 2.2)),
        Node(LOSS, (Run(LOSS, "italic"),), (14, 2.2), tone="zero"),
    )
    # The backward arrows carry no labels: nine local derivatives would crowd the picture,
    # and the text lists them right after it.
    forward = [
        ("x", "mean"),
        ("x", "variance"),
        ("x", "normalised"),
        ("mean", "variance"),
        ("mean", "normalised"),
        ("variance", "normalised"),
        ("normalised", "y"),
        ("scale", "y"),
        ("shift", "y"),
    ]
    upstream = (Run("∂", "symbol"), Run(LOSS, "italic"), Run("/∂", "symbol"), *Y)
    edges = (
        *(Edge(start, end, flows_back=True) for start, end in forward),
        Edge("y", LOSS, upstream, dashed=True),
    )
    return {"graph": GraphFigure("graph", nodes, edges)}
