"""Which Apache Airflow and cncf.kubernetes provider a Runtime version ships, for the example DAG's check.

Sources: astronomer/docs (snapshot of 2024-08-09, commit 0fd057ff) ``astro/runtime-release-notes.md``:
Runtime 11.7.0 brings Airflow 2.9.3, the last 2.9 patch release, and every Runtime 11.x is Airflow 2.9
(the same release notes), so 11.10.0 runs 2.9.3; ``astro/runtime-provider-reference.md`` lists
cncf.kubernetes 8.3.4 for 11.8.0, the newest 11.x it covers. The provider of 11.10.0 itself is not in a
source reachable here: 8.3.4 stands in for it (same Airflow, same provider major).
"""

from __future__ import annotations

from dataclasses import dataclass

from tenant_kit.errors import KitError


@dataclass(frozen=True)
class AirflowPins:
    airflow: str
    cncf_kubernetes: str

    def requirements(self) -> list[str]:
        return [f"apache-airflow=={self.airflow}", f"apache-airflow-providers-cncf-kubernetes=={self.cncf_kubernetes}"]


RUNTIME_AIRFLOW = {
    "11.10.0": AirflowPins(airflow="2.9.3", cncf_kubernetes="8.3.4"),
}


def airflow_pins(runtime_version: str) -> AirflowPins:
    try:
        return RUNTIME_AIRFLOW[runtime_version]
    except KeyError:
        raise KitError(f"Runtime {runtime_version}: no Airflow and cncf.kubernetes versions recorded in "
                       "tenant_kit/runtime_versions.py; add them from the Runtime's provider reference") from None
