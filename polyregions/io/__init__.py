"""Readers and writers: models in (JSON, ONNX, PyTorch), regions, graphs and files out.

- :func:`load_model`: the one entry point for models (:mod:`polyregions.io.models`),
  with :func:`from_onnx` (:mod:`polyregions.io.onnx`), :func:`from_torch`,
  :func:`load_torch` and :func:`from_state_dict` (:mod:`polyregions.io.torch`),
  :func:`rationalize_network` and the exact layer folding of
  :mod:`polyregions.io.layers`; :func:`save_model` writes the JSON form.
- The JSON model format itself is read by :mod:`polyregions.fileformat` (shared with
  the standalone checker) through :func:`load_network`.
- Exports: :func:`write_regions_jsonl` (:mod:`polyregions.export`), :func:`write_graph`
  (:mod:`polyregions.graph_io`), the interactive HTML explorer
  (:mod:`polyregions.explorer`), and atomic writing (:mod:`polyregions.atomic`).

The optional packages (onnx, torch) are imported only by the functions that need them.
"""

from __future__ import annotations

from ..atomic import open_atomic, write_text_atomic
from ..export import write_regions_jsonl
from ..graph_io import write_graph
from ..network import load_network
from .layers import rationalize_network
from .models import load_model, model_kind, rationalize_note, save_model
from .onnx import from_onnx
from .torch import from_state_dict, from_torch, load_torch

__all__ = ["load_model", "model_kind", "save_model", "rationalize_network", "rationalize_note", "from_onnx",
           "from_torch", "load_torch", "from_state_dict", "load_network", "write_regions_jsonl", "write_graph",
           "open_atomic", "write_text_atomic"]
