"""Synthetic tenants for scale tests and the benchmark."""

from __future__ import annotations

from typing import Any


def synthetic_tenants(count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` valid tenant entries named lob<i>, each using the sqlserver-bronze datakit."""
    return [
        {
            "name": f"lob{i:04d}",
            "image": f"lob{i:04d}-airflow:1.0.{i}",
            "maxWorkers": 1 + i % 10,
            "datakits": ["sqlserver-bronze"],
            "kerberos": {"principal": f"svc-lob{i:04d}@CORP.COMPANY.COM", "keytabSecretId": 10000 + i},
            "adminGroups": [f"astro-lob{i:04d}-admins"],
        }
        for i in range(start, start + count)
    ]
