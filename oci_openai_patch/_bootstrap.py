"""The same module as :mod:`oci_openai_patch.shim.bootstrap` (the .pth line of earlier installs imports this name)."""

import sys

from .shim import bootstrap as _module

sys.modules[__name__] = _module
