"""The same module as :mod:`oci_openai_patch.openai_clients.client_signing` (the README
documents ``signing_auth`` here)."""

import sys

from .openai_clients import client_signing as _module

sys.modules[__name__] = _module
