"""The built-in network: the small CNN of a first course, on a 1x1x5x5 input, with a seed whose
numbers make every layer do something (ReLU cuts, the logits stay small). Light: the command
line reads it without loading SymPy."""

from __future__ import annotations

DEFAULT_LAYERS = (
    "conv2d(out_channels=2, kernel=2); relu; maxpool2d(kernel=2); flatten; "
    "linear(out_features=3); cross-entropy(target=2)"
)
DEFAULT_INPUT = (1, 1, 5, 5)
DEFAULT_SEED = 6
