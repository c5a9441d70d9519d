"""Reports: one self-contained HTML file (figures embedded) and the same as Markdown.

A `Report` is a title, the configuration and versions, and sections of text,
tables (pandas DataFrames) and figures (PNG files). `write(dir)` makes
`report.html`, which opens offline (every image is embedded as a data URI,
no script, no external link), and `report.md`, which links the PNG files.
Reports read records only, never TensorFlow objects:

    figures        figures from run records (`coreopt plot`, `--plot`)
    results        the report of a results directory, and its tables
    tour           `coreopt tour`: the lab's tour experiments, reported
    training       the results of a training comparison (`coreopt train`)
    lr_find        the record of a learning-rate range test (`coreopt lr-find`)
    edges          stable learning-rate edges as tables

Example:
    >>> import pandas as pd
    >>> from coreopt.report import Report, Section
    >>> r = Report("Demo", sections=[Section("Runs", table=pd.DataFrame({"lr": [0.1]}))])
    >>> "<table" in r.to_html() and "| lr |" in r.to_markdown()
    True
"""

from coreopt.report.document import Report, Section

__all__ = ["Report", "Section"]
