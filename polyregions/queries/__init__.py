"""Floor 9, queries: what users ask, each its own module.

:mod:`.count` (activation and linear regions), :mod:`.graph` (region adjacency graphs),
:mod:`.export` (regions as JSON lines), :mod:`.point` (the region at a point),
:mod:`.folding` (space folding), :mod:`.optimize` (exact maximum), :mod:`.verify`
(properties), :mod:`.lipschitz`, :mod:`.equivalence`, :mod:`.boundary` (decision
boundaries).

May import: certificates, run, search, theory, io, core and the floors below; one
query module may use another (count's records in graph), never a view.
"""
