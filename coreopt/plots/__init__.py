"""Plots drawn from result records (plain dicts, lists and NumPy arrays), saved with Agg.

    style       the one style: rcParams, colours, `new_figure`, reproducible `save`
    functions   a test function's loss and gradient (1-D), its contours (2-D)
    paths       runs' parameter paths over the loss (1-D against iteration, 2-D)
    curves      gap to the minimum and gradient norm against iteration
    sweeps      a sweep's frame: learning-rate sensitivity (`plot_lr_sensitivity`),
                heatmaps over two hyperparameters or start coordinates (`plot_heatmap`)
    animate     an animated GIF of 2-D trajectories over the contours (`animate_paths_2d`)
    training    loss and accuracy curves of training runs

Nothing here imports TensorFlow: the values of a function come from the caller as a
`surface` dict of arrays, its description as `TestFunction.to_dict()`; a sweep comes as
the pandas DataFrame that `coreopt.lab.sweep` returns.
"""
