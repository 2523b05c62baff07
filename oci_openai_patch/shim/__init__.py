"""Zero code: what the ``.pth`` line, ``sitecustomize`` and ``oci-openai-patch run`` call at
start-up, and the patch of openai's client construction."""
