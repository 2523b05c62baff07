"""The environment contract: every variable the package reads, parsed in one place.

Each variable is a documented constant. Parsing fails with a :class:`ConfigurationError`
that names the variable and the fix; nothing here reads files or imports heavy modules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .hosts import HostPattern, parse_host_list

#: Extra hosts to sign besides OCI's service hosts: ``host``, ``host:port`` or ``*.suffix``,
#: comma-separated. Plain http is allowed only for loopback names.
OCI_OPENAI_HOSTS = "OCI_OPENAI_HOSTS"


def extra_hosts_from_env(environ: Mapping[str, str] | None = None) -> tuple[HostPattern, ...]:
    """The host patterns of ``OCI_OPENAI_HOSTS`` (empty when unset)."""
    env = os.environ if environ is None else environ
    return parse_host_list(env.get(OCI_OPENAI_HOSTS, ""), source=OCI_OPENAI_HOSTS)
