"""Sphinx configuration of adamkit's documentation site.

Build: ``python -m sphinx -W -b html docs <outdir>`` (``pip install ".[docs]"``; the test
suite builds it with warnings as errors, tests/test_docs.py). Sphinx + numpydoc because
the docstrings are numpydoc (scipy's convention, with ``.. math::`` blocks) and autodoc
imports the compiled modules as they are; MyST-Parser reads the Markdown pages that the
repository already has (README.md, docs/*.md), so the site includes them, never copies.

Generated at build time: the presets' defaults table (``python -m adamkit defaults
--markdown``), the command-line help, and the gallery's figures (the examples run by
matplotlib's plot directive).
"""

import os
import sys
import tempfile

import adamkit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "docs"))           # the _ext module below

project = "adamkit"
author = "adamkit developers"
copyright = "2026, adamkit developers"
release = version = adamkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
    "_ext",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Exact, fast Adam and RMSProp for NumPy arrays"}

# MyST: README's sections start at "##" and are included under a page title
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]
suppress_warnings = ["myst.header"]

# autodoc / numpydoc
autodoc_member_order = "bysource"
autodoc_typehints = "none"           # numpydoc's Parameters sections say it
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# every parameter of the documented API is documented (PR01) and no documented one is
# unknown (PR02). Not yet for the schedules and the presets' internals, whose modules are
# being reworked elsewhere (their parameters are described in prose).
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = {r"^adamkit\.schedules\.", r"^adamkit\.presets\."}

intersphinx_mapping = {}             # no network: links to numpy/scipy are written out

# the gallery: examples run in a scratch directory (they save their own PNG too)
plot_working_directory = (os.environ.get("ADAMKIT_DOCS_WORKDIR")
                          or tempfile.mkdtemp(prefix="adamkit-docs-plots-"))
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_rcparams = {"figure.max_open_warning": 0}
