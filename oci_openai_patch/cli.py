"""The same module as :mod:`oci_openai_patch.commands.cli`, for ``python -m oci_openai_patch.cli``
and the console script of earlier installs."""

import sys

from .commands import cli as _module

if __name__ == "__main__":  # pragma: no cover
    sys.exit(_module.main())
sys.modules[__name__] = _module
