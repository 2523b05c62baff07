"""Which hosts are signed: OCI's service hosts and realms, the Public Suffix List's limits on
wildcards, the caller's extra hosts, and whether a request would go through a proxy."""
