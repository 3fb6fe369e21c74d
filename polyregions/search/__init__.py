"""Floor 6, search: the exact splitting of the input domain into activation regions.

- :mod:`.activations`: what each activation family means to the search (branches, cuts,
  states, maps);
- :mod:`.stages`: the network compiled into stages (composed affine maps, activation);
- :mod:`.engine`: the depth-first search (:class:`~.engine.Search`,
  :func:`~.engine.enumerate_regions`) that yields :class:`~.regions.Region` records;
- :mod:`.regions`: the records; :mod:`.adjacency`: facets and neighbours;
  :mod:`.reduce`: the linear-region merge; :mod:`.relax`: rigorous bounds on a node.

May import: io, core and the floors below (a sibling floor, theory, is not imported).
"""
