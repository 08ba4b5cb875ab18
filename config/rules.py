"""Reusable string rules for stack config values.

Each rule is an ``Annotated`` string type: the validator raises a ``ValueError`` whose text is the
rule in plain words, so an error line reads ``<key path>: <value> <rule>``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_RFC1123_LABEL = re.compile(rf"^{_LABEL}$")
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?$")
_REPO_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO_PATH = re.compile(rf"^{_REPO_COMPONENT}(?:/{_REPO_COMPONENT})*$")
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_TAG_RE = re.compile(rf"^{_TAG}$")
_IMAGE = re.compile(rf"^(?P<name>{_REPO_COMPONENT}(?:/{_REPO_COMPONENT})*):(?P<tag>{_TAG})$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
# Kubernetes resource.Quantity, without a sign: 500m, 2, 1.5, 64Gi, 1e3.
_QUANTITY = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[mkMGTPE]|[eE][+-]?\d+)?$")
_REALM = re.compile(r"^[A-Z0-9](?:[A-Z0-9.-]*[A-Z0-9])?$")
_PRINCIPAL = re.compile(r"^[^/@\s]+(?:/[^/@\s]+)?@(?P<realm>[^@\s]+)$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


def rfc1123_label(value: str) -> str:
    if len(value) > 63 or not _RFC1123_LABEL.match(value):
        raise ValueError(
            "is not an RFC 1123 label (lowercase letters, digits and '-', starting and ending "
            "with a letter or digit, at most 63 characters)"
        )
    return value


def helm_release_name(value: str) -> str:
    rfc1123_label(value)
    if len(value) > 53:
        raise ValueError("is longer than the 53 characters Helm allows for a release name")
    return value


def dns_domain(value: str) -> str:
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(len(part) <= 63 and _RFC1123_LABEL.match(part) for part in labels)
    ):
        raise ValueError(
            "is not a valid DNS domain (two or more lowercase RFC 1123 labels separated by '.', "
            "at most 253 characters, no scheme, no trailing dot)"
        )
    return value


def registry_host(value: str) -> str:
    if "://" in value:
        raise ValueError("must be a bare registry host without a scheme (drop the 'https://')")
    if "/" in value:
        raise ValueError("must be a bare registry host without a path (repositories go elsewhere)")
    if not _HOST.match(value):
        raise ValueError("is not a registry host name (lowercase DNS name, optional ':port')")
    return value


def host_with_port(value: str) -> str:
    if "://" in value or "/" in value or not _HOST.match(value):
        raise ValueError("is not a host name with an optional ':port' (no scheme, no path)")
    return value


def repository_path(value: str) -> str:
    if not _REPO_PATH.match(value):
        raise ValueError(
            "is not a repository path (lowercase components of letters, digits, '.', '_', '-' "
            "separated by '/')"
        )
    return value


def image_name_tag(value: str) -> str:
    """``name:tag`` relative to an Artifactory repository; refuses references to any registry."""
    first = value.split("/", 1)[0]
    if "/" in value and ("." in first or ":" in first or first == "localhost"):
        raise ValueError(
            "names a registry; give only 'name:tag' inside the Artifactory repository "
            "(the host and repository are added from 'artifactory')"
        )
    if not _IMAGE.match(value):
        raise ValueError("is not an image reference of the form 'name:tag' (a tag is required)")
    return value


def image_tag(value: str) -> str:
    if not _TAG_RE.match(value):
        raise ValueError("is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)")
    return value


def exact_chart_version(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError(
            "is not an exact chart version such as '2.1.0' ('latest', ranges and wildcards are "
            "not allowed: pin the version)"
        )
    return value


def release_version(value: str) -> str:
    if not _RELEASE.match(value):
        raise ValueError("is not an exact version of the form 'X.Y.Z'")
    return value


def python_version(value: str) -> str:
    if not _PYTHON.match(value):
        raise ValueError("is not a Python version of the form '3.X' (quote it: 3.10 is a number)")
    return value


def quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError("is not a Kubernetes quantity (for example '4', '500m', '16Gi')")
    return value


def kerberos_realm(value: str) -> str:
    if not _REALM.match(value):
        raise ValueError("is not a Kerberos realm (upper case, for example 'CORP.COMPANY.COM')")
    return value


def kerberos_principal(value: str) -> str:
    match = _PRINCIPAL.match(value)
    if not match or not _REALM.match(match["realm"]):
        raise ValueError("is not a Kerberos principal of the form 'name[/instance]@REALM'")
    if "_HOST" in value:
        raise ValueError("uses _HOST, which expands to a pod name on Kubernetes; name the host")
    return value


def https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("is not an https:// URL with a host")
    return value


def config_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError("is not a key of letters, digits, '_', '.' and '-'")
    return value


def cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"is not a CIDR block ({exc})") from None
    return value


def absolute_path(value: str) -> str:
    if not value.startswith("/") or "//" in value or value.endswith("/") and value != "/":
        raise ValueError("is not an absolute path without a trailing '/'")
    return value


def _rule(check) -> type[str]:
    return Annotated[str, StringConstraints(strict=True), AfterValidator(check)]


Rfc1123Label = _rule(rfc1123_label)
HelmReleaseName = _rule(helm_release_name)
DnsDomain = _rule(dns_domain)
RegistryHost = _rule(registry_host)
HostWithPort = _rule(host_with_port)
RepositoryPath = _rule(repository_path)
ImageNameTag = _rule(image_name_tag)
ImageTag = _rule(image_tag)
ExactChartVersion = _rule(exact_chart_version)
ReleaseVersion = _rule(release_version)
PythonVersion = _rule(python_version)
Quantity = _rule(quantity)
KerberosRealm = _rule(kerberos_realm)
KerberosPrincipal = _rule(kerberos_principal)
HttpsUrl = _rule(https_url)
ConfigKey = _rule(config_key)
Cidr = _rule(cidr)
AbsolutePath = _rule(absolute_path)
NonEmptyStr = Annotated[str, StringConstraints(strict=True, min_length=1)]
