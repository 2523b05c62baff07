"""The ``oci-openai-patch`` command: ``run``, ``doctor``, ``serve`` and ``demo``."""
