"""How Kerberos tickets are kept fresh: the margin every renewal keeps before a ticket expires."""

from __future__ import annotations

RENEW_MARGIN_SECONDS = 300
"""a renewal comes at least this long before the ticket expires, so that kubelet's propagation of the cache
Secret (a minute or more) and a pod's start fit in; below it a ticket is about to expire whatever the schedule"""
