"""adamkit's conformance suite: the real frameworks against adamkit's presets.

* ``golden/``: recordings of frameworks that cannot be installed here (Caffe, Lua Torch7,
  Lasagne, Blocks, keras-adamw builds), with their provenance;
* ``stacks.py``: the framework environments (``.venvs/<stack>``) and the adapters each runs;
* ``adapters/``: one module per framework that records it on the standard gradient streams
  (run inside the framework's environment, NumPy and the standard library only);
* ``pins.py``: the recordings that cannot reach 0 ULP yet, with the distance and the reason;
* ``verify.py``: records every stack, replays every recording, prints the report.

Run from a checkout: ``python -m conformance setup`` then ``python -m conformance verify``.
This package imports adamkit; adamkit never imports it.
"""
