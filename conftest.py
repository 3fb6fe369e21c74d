"""Collection settings for the whole repository (doctests of polyregions/ and tests/).

The doctests of the importers need their optional packages: the ONNX reader's need
onnx (in the test extra), the PyTorch reader's need torch (only ``make test-torch``
installs it), the explorer's need plotly. Without the package those modules'
doctests are not collected; the importers' own tests skip and say why.
"""

from __future__ import annotations

import importlib.util

collect_ignore = []
for module, path in (("torch", "polyregions/io/torch.py"), ("onnx", "polyregions/io/onnx.py"),
                     ("plotly", "polyregions/views/explorer.py"), ("pandas", "polyregions/views/notebook.py")):
    if importlib.util.find_spec(module) is None:
        collect_ignore.append(path)
