"""Floor 3, geometry: exact polyhedra and the exact LP, nothing about networks.

- :mod:`.polyhedron`: :class:`~.polyhedron.Cell`, a polyhedron in double description
  (integer rows, rational generators) that the search cuts unit by unit, with the
  compiled kernel (``_kernel.c``, C against GMP) and its pure-Python reference;
- :mod:`.lp`: the exact LP (the only module that talks to cdd, ``cdd.gmp``), every
  answer checked in exact arithmetic;
- :mod:`.volume`: exact areas and volumes of polygons and polytopes.

May import: the standard library, cdd, and the floors below (errors, rationals).
"""
