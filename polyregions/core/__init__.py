"""Floor 4, core: the exact network and what is defined by it alone.

- :mod:`.layers`: the layer types (affine, relu, leaky_relu, abs, hardtanh, maxout,
  identity) and their JSON form;
- :mod:`.forward`: the exact forward pass (outputs and activation pattern at a point);
- :mod:`.network`: :class:`~.network.Network` (its layers, JSON form and save; ``net(x)``
  and ``net.pattern(x)`` call the forward pass);
- :mod:`.domain`: input domains (all of R^n0, boxes, H-polyhedra);
- :mod:`.slices`: 2-D slices through points;
- :mod:`.maps`: exact affine maps and pattern keys; :mod:`.html`: the small HTML
  table that records show in notebooks.

May import: geometry and the floors below. Never model loaders, the search or views.
"""
