"""Put on PYTHONPATH by ``oci-openai-patch run``: switch the shim on, then chain."""

try:
    from oci_openai_patch.shim.bootstrap import chain_next_sitecustomize, install

    install()
    chain_next_sitecustomize(__file__)
except ImportError:  # the package is not importable from this interpreter
    pass
