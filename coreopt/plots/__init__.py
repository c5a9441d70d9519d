"""Plots drawn from result records (plain dicts, lists and NumPy arrays), saved with Agg.

    style       the one style: rcParams, colours, `new_figure`, reproducible `save`
    functions   a test function's loss and gradient (1-D), its contours (2-D)
    paths       runs' parameter paths over the loss (1-D against iteration, 2-D)
    curves      gap to the minimum and gradient norm against iteration
    training    loss and accuracy curves of training runs

Nothing here imports TensorFlow: the values of a function come from the caller as a
`surface` dict of arrays, its description as `TestFunction.to_dict()`.
"""
