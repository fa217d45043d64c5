"""Tools around the library, used by ``python -m adamkit`` (:mod:`adamkit.tools.cli`):

* :mod:`~adamkit.tools.trajectory`: the trajectory file format of recorded framework runs;
* :mod:`~adamkit.tools.replay`: replay a recording through its preset, distances in ULPs;
* :mod:`~adamkit.tools.streams`: the gradient streams the conformance suite feeds;
* :mod:`~adamkit.tools.bench`: adamkit against the memory-only kernel and its peers.

Nothing here is imported by ``import adamkit``. The conformance suite of a source checkout
(``python -m conformance``) builds on these modules; they never import it.
"""
