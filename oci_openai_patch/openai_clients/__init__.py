"""The openai clients: ``OciOpenAI`` / ``AsyncOciOpenAI``, and the per-request attach that both
faces (explicit clients and the zero-code shim) use."""
