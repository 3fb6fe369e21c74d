"""Floor 0, the checker: certificates checked with Python's standard library alone.

One module per step, each importing only those above it in this list:

- :mod:`.fileformat`: the one reader of numbers, JSON and model files
  (``polyregions-network/1``), which the package reads models with too, so that the
  checker and ``polyregions count`` accept and refuse exactly the same files;
- :mod:`.common`: :class:`~.common.CheckFailure`, the certificate limits and the readers
  of a certificate's numbers and lists;
- :mod:`.models`: the model as the checker reads it, its digest
  (:func:`~.models.model_digest`, small enough for checkpoints to import) and the
  integer arithmetic of affine layers;
- :mod:`.domains`: domains compared, described and built from ``--box``;
- :mod:`.regions`: the checker of count certificates, the walk over the decision tree;
- :mod:`.pieces` and :mod:`.queries`: the checkers of max and verify certificates;
- :mod:`.boxes`: exact bounds over input boxes and the checker of the input-splitting
  search's verify certificates (``polyregions-verify-boxes-certificate/1``), which
  :mod:`.queries` dispatches to;
- :mod:`.check`: the public entry, :func:`~.check.check_certificate` and its companions;
- :mod:`.command`: the command line.

``python -m polyregions.checker CERT MODEL [--box LO HI | --domain FILE]`` runs it. This
folder imports nothing outside itself and the standard library (no cdd, no sympy, no
floats, no engine code) and only itself relatively, so it can be copied out of the
package and run alone (``python -m checker ...`` beside the copy).
"""
