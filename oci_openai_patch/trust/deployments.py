"""Model deployments as hosts: a deployment OCID, the region it names, and its base URL in
that region's realm (the oci SDK's endpoint). The routing of its requests is
:mod:`..transport.model_deployments`'.
"""

from __future__ import annotations

import re

from ..errors import ConfigurationError
from .hosts import realm_table

#: The resource type of a model deployment OCID.
DEPLOYMENT_OCID_PREFIX = "ocid1.datasciencemodeldeployment."
PREDICT = "predict"
_DEPLOYMENT_OCID = re.compile(
    r"ocid1\.datasciencemodeldeployment\.(?P<realm>[a-z0-9-]+)\.(?P<region>[a-z0-9-]*)\.[A-Za-z0-9._-]+\Z",
    re.ASCII,
)


def parse_deployment_ocid(value: str, *, source: str) -> str:
    """A model deployment OCID, stripped, else a ``ConfigurationError`` naming ``source``."""
    text = value.strip() if isinstance(value, str) else ""
    if not _DEPLOYMENT_OCID.match(text):
        raise ConfigurationError(
            f"{source} is not a model deployment OCID; set it to the deployment's OCID "
            "(ocid1.datasciencemodeldeployment.oc1.<region>.<id>, on its page in the OCI Console)"
        )
    return text


def ocid_region(ocid: str) -> str | None:
    """The region a deployment OCID names (its region key, ``iad``, or a region name), if
    the oci SDK knows it."""
    table = realm_table()
    found = _DEPLOYMENT_OCID.match(ocid)
    key = found.group("region") if found else ""
    named = table.short_names.get(key, key)
    return named if key and named in table.region_realms else None


def deployment_region(ocid: str, region: str | None, *, source: str, region_source: str) -> str:
    """The region a deployment is reached in: ``region`` if given (it must agree with the
    OCID's realm and region), else the region the OCID names, else a ``ConfigurationError``."""
    named = ocid_region(ocid)
    if region is None:
        if named is None:
            raise ConfigurationError(
                f"{source} names no region the oci SDK knows; set {region_source} (such as us-ashburn-1)"
            )
        return named
    table = realm_table()
    chosen = table.short_names.get(region.strip().lower(), region.strip().lower())
    realm = table.region_realms.get(chosen)
    ocid_realm = ocid.split(".")[2]
    if realm is not None and realm != ocid_realm:
        raise ConfigurationError(
            f"{source} is a deployment of the realm {ocid_realm}, but {region_source} is "
            f"{region.strip()}, of the realm {realm}; set {region_source} to the deployment's region"
        )
    if named is not None and chosen != named:
        raise ConfigurationError(
            f"{source} is a deployment in {named}, but {region_source} is {region.strip()}; "
            f"drop {region_source} or set it to {named}"
        )
    return chosen


def deployment_base_url(ocid: str, region: str) -> str:
    """The OpenAI-compatible base URL of a deployment, in its region's realm: the OCI SDK's
    endpoint (``modeldeployment.<region>.oci.customer-oci.com`` in the commercial realm,
    ``md.datascience.<region>.oci.<realm domain>`` elsewhere) plus ``/<OCID>/predict/v1``."""
    table = realm_table()
    name = table.short_names.get(region.strip().lower(), region.strip().lower())
    realm = table.region_realms.get(name)
    if realm is None:
        raise ConfigurationError(
            f"region {region!r} is not an OCI region the oci SDK knows; use a name such as us-ashburn-1"
        )
    if realm == "oc1":
        host = f"modeldeployment.{name}.oci.customer-oci.com"
    else:
        host = f"md.datascience.{name}.oci.{table.realms[realm]}"
    return f"https://{host}/{ocid}/{PREDICT}/v1"


def deployment_url(ocid: str, region: str | None, *, source: str, region_source: str) -> str:
    """:func:`deployment_base_url` in the region :func:`deployment_region` settles on."""
    return deployment_base_url(ocid, deployment_region(ocid, region, source=source, region_source=region_source))
