"""The same module as :mod:`oci_openai_patch.shim.patch` (the README documents ``oci_openai_patch.patch``)."""

import sys

from .shim import patch as _module

sys.modules[__name__] = _module
