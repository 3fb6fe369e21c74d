"""Floor 7, run: how a search runs: tasks, processes, Dask, checkpoints.

- :mod:`.jobs`: what a query asks of a run (:class:`~.jobs.JobSpec`, reducers);
- :mod:`.tasks`: the search tree cut into tasks (paths) and walked in order;
- :mod:`.executors`: one process, worker processes or a Dask cluster;
- :mod:`.checkpoint`: finished tasks appended to a file, for resuming.

May import: search, io, core and the floors below.
"""
