"""Teaching surfaces that draw: figures and notebook widgets.

``style``    the plot contract, the colours and the Axes helpers every figure shares
``diagram``  ``network_diagram``: every neuron and connection of a pruned MLP
``plots``    every other figure of the course (histograms, heatmaps, curves, ...);
             also the public home of ``network_diagram`` (``minprune.plots``)
``widgets``  ``explore`` and ``compare``: prune with a slider (``minprune.widgets``)

These modules import matplotlib (and the widgets ipywidgets), so ``import
minprune`` loads them only when ``minprune.plots`` or ``minprune.widgets`` is
first used.
"""
