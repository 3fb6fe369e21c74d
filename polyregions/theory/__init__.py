"""Floor 6, theory: the counting theory, symbolic and exact.

- the region-count bounds, each as a sympy formula and an exact evaluator, by family:
  :mod:`.formulas` (symbols, argument checks, ``evaluate``), :mod:`.arrangements`
  (Zaslavsky), :mod:`.relu` (Montufar 2014 and 2017, Serra 2018), :mod:`.maxout`;
  :mod:`.table` says which bound holds for which network, :mod:`.asymptotics` checks
  the deep-versus-shallow limits, and :mod:`.bounds` gathers the public names;
- :mod:`.constructions`: the networks of the papers' constructions and hyperplane
  arrangements with known counts.

May import: io, core and the floors below (a sibling floor, search, is not imported).
"""
