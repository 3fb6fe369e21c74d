"""Floor 8, certificates: proofs that the standalone checker accepts.

- :mod:`.regions`: :func:`~.regions.certify` (a certificate of a count: the search tree
  with a witness per leaf and a Farkas refutation per pruned branch) and
  :func:`~.regions.check_network_certificate`;
- :mod:`.queries`: certificates of the exact answers of ``max`` and ``verify``.

May import: run, search, io, core, the checker and the floors below.
"""
