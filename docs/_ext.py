"""Directives of adamkit's documentation: content generated from the package at build
time (nothing generated is committed or copied).

``{adamkit-defaults}``  the presets' defaults table, ``python -m adamkit defaults
                        --markdown`` (README.md holds the same output, checked by
                        tests/test_presets.py)
``{adamkit-cli} ARGS``  the help text of ``python -m adamkit ARGS --help``
"""

import contextlib
import io

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class Defaults(SphinxDirective):
    has_content = False

    def run(self):
        from adamkit.tools import defaults
        node = nodes.container()
        self.state.nested_parse(StringList(defaults.markdown().splitlines(),
                                           source="python -m adamkit defaults --markdown"),
                                self.content_offset, node)
        return node.children


class CliHelp(SphinxDirective):
    required_arguments = 0
    optional_arguments = 1
    has_content = False

    def run(self):
        from adamkit.tools import bench, cli
        args = self.arguments[0].split() if self.arguments else []
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
            if args[:1] == ["bench"]:
                bench.main(["--help"])
            else:
                cli.main([*args, "--help"])
        text = buf.getvalue().replace("usage: python -m adamkit", "usage: adamkit")
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("adamkit-defaults", Defaults)
    app.add_directive("adamkit-cli", CliHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
