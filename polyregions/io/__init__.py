"""Floor 5, io: models in and files out, as exact objects of the core.

- :func:`load_model` (:mod:`.models`): the one entry point for models (JSON, ONNX,
  PyTorch), with :func:`~.models.as_network` and the ``takes_models`` decorator that
  lets library calls take model paths; :func:`save_model` writes the JSON form;
- :func:`from_onnx` (:mod:`.onnx`), :func:`from_torch`, :func:`load_torch` and
  :func:`from_state_dict` (:mod:`.torch`), :func:`rationalize_network` and the exact
  layer folding of :mod:`.layers` and :mod:`.conv`; the optional packages (onnx,
  torch) are imported only by the functions that need them;
- :mod:`.vnnlib`: properties (a VNN-LIB subset and JSON);
- :func:`write_graph` (:mod:`.graphs`): graph files (GraphML, GEXF, JSON); with
  :func:`load_network` (the JSON form, from :mod:`polyregions.core.network`) and the atomic
  writers :func:`open_atomic` and :func:`write_text_atomic` (:mod:`polyregions.files`).
  :func:`~polyregions.queries.export.write_regions_jsonl` runs a search, so it lives with
  the queries.

The JSON model format itself is read by :mod:`polyregions.checker.fileformat` (shared
with the standalone checker) through :func:`polyregions.core.network.load_network`.

May import: core and the floors below.
"""

from __future__ import annotations

from ..core.network import load_network
from ..files import open_atomic, write_text_atomic
from .graphs import write_graph
from .layers import rationalize_network
from .models import load_model, model_kind, rationalize_note, save_model
from .onnx import from_onnx
from .torch import from_state_dict, from_torch, load_torch

__all__ = ["load_model", "model_kind", "save_model", "rationalize_network", "rationalize_note", "from_onnx",
           "from_torch", "load_torch", "from_state_dict", "load_network", "write_graph", "open_atomic",
           "write_text_atomic"]
