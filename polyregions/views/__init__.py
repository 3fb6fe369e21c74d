"""Floor 10, views: pictures and notebook tables; nothing here decides anything.

- :mod:`.plot`: region pictures of 2-input networks (matplotlib);
- :mod:`.explorer`: the interactive HTML explorer (plotly);
- :mod:`.boundary`: the decision boundary drawn over the regions;
- :mod:`.notebook`: regions as a pandas table, inline plots, volumes.

May import: queries and every floor below. matplotlib, plotly and pandas are imported
inside the functions that need them.
"""
