"""The live framework environments of the conformance suite.

Each stack is one virtual environment, ``.venvs/<stack>`` at the top of the checkout,
created by ``python -m conformance setup`` with the pip commands below (in order), and the
adapters (``adapters/<module>.py``) that run in it, each with extra environment variables
and, optionally, a dict of options: ``tag`` (appended to the variant of every file, for a
second code path of the same cases), ``only`` (run only the cases whose file name contains
it) and ``requires`` (CPU flags without which the entry is skipped). The versions are
pinned: a preset reproduces one release of a framework.

Frameworks whose code depends on the CPU run twice: natively, and with the framework's own
limit to an older instruction set (XLA's ``--xla_cpu_max_isa``, OpenBLAS's
``OPENBLAS_CORETYPE``), so that both paths are proven on one machine; each recording says
which path it took (its ``cpu`` and ``env``), and its replay takes the same.

The ``*_train_adapter`` entries record real training instead of a gradient stream: the
model of ``make_streams.py`` (an MLP on the digits) trained with the framework's own
training API and schedules, every parameter array replayed together
(notes/real-training.md).

Keras 3 runs once more per backend with ``KERAS_FLOATX=float64`` (``keras.config.set_floatx``,
as a float64 model needs; the presets' ``floatx`` option), and the torch backend once more on
one thread (``OMP_NUM_THREADS=1``: ATen splits sums of 32768 elements or more between its
threads, the presets' ``torch_threads``).

Keras 3's eager TensorFlow mode (``keras_adapter`` with ``KERAS_ADAPTER_MODE=eager`` and
``KERAS_BACKEND=tensorflow``; preset ``keras_tensorflow_eager``) replays at 0 ULP too
(notes/keras-recipes.md) but takes about 9 minutes on two cores, so it is left out of the
stacks that CI runs; ``EXTRA`` lists it for a manual run.
"""

#: ``disk_gb``: the free disk space a stack's setup needs, in GB: the installed venv
#: (measured with ``du``: modern 3.5, legacy 0.5, kerasadamw 1.2) plus room for pip's
#: downloads and unpacking. ``python -m conformance setup`` checks it before installing.
STACKS = {
    "modern": {
        "disk_gb": 5.0,
        "pip": [
            ["torch==2.13.0", "tensorflow-cpu==2.21.0", "keras==3.15.1", "tf-keras==2.21.0",
             "jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8"],
        ],
        "adapters": [
            ("torch_adapter", {}),
            ("optax_adapter", {"JAX_ENABLE_X64": "0"}),
            ("optax_adapter", {"JAX_ENABLE_X64": "1"}),
            ("optax_adapter", {"JAX_ENABLE_X64": "1", "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"},
             {"tag": "avx2", "only": "rmsprop"}),
            ("tensorflow_adapter", {}),
            ("keras_adapter", {"KERAS_BACKEND": "tensorflow"}),
            ("keras_adapter", {"KERAS_BACKEND": "jax"}),
            ("keras_adapter", {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"},
             {"tag": "avx2", "only": "rmsprop"}),
            ("keras_adapter", {"KERAS_BACKEND": "torch"}),
            ("keras_adapter", {"KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"},
             {"tag": "omp1", "only": "_large"}),
            ("keras_adapter", {"KERAS_BACKEND": "tensorflow", "KERAS_FLOATX": "float64"},
             {"tag": "floatx64"}),
            ("keras_adapter", {"KERAS_BACKEND": "jax", "KERAS_FLOATX": "float64"},
             {"tag": "floatx64"}),
            ("keras_adapter", {"KERAS_BACKEND": "torch", "KERAS_FLOATX": "float64"},
             {"tag": "floatx64"}),
            ("keras_adapter", {"KERAS_BACKEND": "jax", "KERAS_ADAPTER_MODE": "eager"}),
            ("tf_keras_adapter", {}),
            # real training (notes/real-training.md): a small model, the framework's own
            # training loop and schedules, several arrays replayed together
            ("torch_train_adapter", {}),
            ("optax_train_adapter", {"JAX_ENABLE_X64": "0"}),
            ("optax_train_adapter", {"JAX_ENABLE_X64": "1"}),
            ("tensorflow_train_adapter", {}),
            ("keras_train_adapter", {"KERAS_BACKEND": "tensorflow"}),
            ("keras_train_adapter", {"KERAS_BACKEND": "jax"}),
            ("keras_train_adapter", {"KERAS_BACKEND": "torch"}),
            ("tf_keras_train_adapter", {}),
        ],
    },
    "legacy": {
        "disk_gb": 1.0,
        "pip": [
            ["setuptools<70", "wheel", "numpy==1.23.5", "scipy==1.11.4"],
            ["--no-build-isolation", "mxnet==1.9.1", "chainer==7.8.1", "Theano==1.0.5",
             "Lasagne==0.1"],
            ["--no-deps", "keras==2.3.1", "keras-applications==1.0.8",
             "keras-preprocessing==1.1.2", "pyyaml==6.0.1"],
        ],
        "adapters": [
            ("mxnet_adapter", {}),
            ("chainer_adapter", {}),
            ("chainer_adapter", {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"},
             {"tag": "haswell1", "only": "hookclip"}),
            ("chainer_adapter", {"OPENBLAS_CORETYPE": "SkylakeX"},
             {"tag": "skylakex", "only": "hookclip", "requires": ["avx512vl"]}),
            ("lasagne_adapter", {}),
            ("keras2_adapter", {}),
            ("mxnet_train_adapter", {}),
            ("chainer_train_adapter", {}),
            ("keras2_train_adapter", {}),
        ],
    },
    "kerasadamw": {
        "disk_gb": 2.0,
        "pip": [
            ["tensorflow-cpu==2.13.1"],
            ["--no-deps", "keras-adamw==1.38"],
        ],
        "adapters": [
            ("keras_adamw_adapter", {"TF_KERAS": "1"}),
            ("keras_adamw_train_adapter", {"TF_KERAS": "1"}),
        ],
    },
}

#: adapters verified during development but too slow for every CI run
EXTRA = {
    "modern": [("keras_adapter", {"KERAS_BACKEND": "tensorflow", "KERAS_ADAPTER_MODE": "eager"})],
}
