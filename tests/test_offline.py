"""The offline render and diff: complete, deterministic, secret-free, valid manifests, readable diffs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_docker as docker
import pulumi_kubernetes as k8s
import pytest
import yaml

from config.secrets import RECEIVER_SECRETS
from offline.diff import ABSENT, FieldChange, diff_render, field_changes, markdown, stacks, truncate
from offline.render import render, render_files
from standins import mock_engine as engine
from tests.helpers import STACKS, TEST_SECRETS, receiver_credentials, stack_document, write_stack_file

# The Kubernetes minor versions the pinned chart lines support.
KUBERNETES_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35")


@pytest.fixture(scope="session")
def renders(tmp_path_factory) -> Path:
    """Both committed stacks rendered exactly as ``make render`` does, under one folder."""
    out = tmp_path_factory.mktemp("base")
    for stack in STACKS:
        assert render(stack, out / stack) == 0
    return out


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_render_writes_plan_manifests_helm_and_images(renders, committed_runs):
    for stack in STACKS:
        recording, written = committed_runs[stack], files(renders / stack)
        plan = yaml.safe_load(written["plan.json"])
        assert [r["urn"] for r in plan] and {r["urn"] for r in plan} == {r.urn for r in recording.resources}
        manifests = [name for name in written if name.startswith("manifests/")]
        assert len(manifests) == len(recording.kubernetes_objects())
        for name in manifests:
            document = yaml.safe_load(written[name])
            folder = document["metadata"].get("namespace", "_cluster")
            assert name == f"manifests/{folder}/{document['kind'].lower()}-{document['metadata']['name']}.yaml"
        assert {"helm/astronomer/release.yaml", "helm/astronomer/values.yaml"} <= written.keys()
        assert yaml.safe_load(written["helm/astronomer/values.yaml"])["global"]["privateRegistry"]["enabled"]
    prod_images = sorted(name for name in files(renders / "prod") if name.startswith("images/"))
    assert prod_images == [
        "images/astro-runtime-krb5-image.yaml",
        "images/datakit-oracle-bronze-image.yaml",
        "images/datakit-sqlserver-bronze-image.yaml",
        "images/kerberos-manager-image.yaml",
    ]


def test_plan_lists_parents_before_children(renders):
    plan = yaml.safe_load((renders / "dev" / "plan.json").read_text())
    urns, seen = {r["urn"] for r in plan}, set()
    for resource in plan:
        # The stack itself is the engine's, not the program's: it is not in the plan.
        assert resource["parent"] not in urns or resource["parent"] in seen, resource["urn"]
        seen.add(resource["urn"])


def test_the_same_input_renders_byte_identical_output(renders, tmp_path):
    assert render("dev", tmp_path / "again") == 0
    assert files(tmp_path / "again") == files(renders / "dev")


def test_bad_config_prints_the_problems_and_writes_nothing(tmp_path, capsys):
    document = stack_document("dev")
    document["tenants"][0]["maxWorkers"] = 0
    stack_file = write_stack_file(tmp_path / "Pulumi.broken.yaml", document)
    assert render("dev", tmp_path / "out", stack_file) == 1
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == [stack_file]
    assert "tenants[0].maxWorkers" in capsys.readouterr().err


def test_plain_text_secrets_in_a_stack_file_are_never_written_or_printed(tmp_path, capsys):
    credentials = receiver_credentials(stack_document("dev"))
    stack_file = write_stack_file(tmp_path / "Pulumi.dev.yaml", stack_document("dev"),
                                  extra=TEST_SECRETS | {RECEIVER_SECRETS: json.dumps(credentials)})
    assert render("dev", tmp_path / "out", stack_file) == 0
    printed = capsys.readouterr()
    for secret in [*TEST_SECRETS.values(), *credentials.values()]:
        assert secret not in printed.out + printed.err
        for name, content in files(tmp_path / "out").items():
            assert secret.encode() not in content, name
    bootstrap = yaml.safe_load((tmp_path / "out/manifests/astronomer/secret-astronomer-bootstrap.yaml").read_text())
    assert bootstrap["stringData"] == {"connection": engine.fingerprint(TEST_SECRETS["databaseConnection"])}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_for_kubernetes(renders, version):
    problems = []
    for stack in STACKS:
        for path in sorted((renders / stack / "manifests").rglob("*.yaml")):
            try:
                kubernetes_validate.validate(yaml.safe_load(path.read_text()), version, strict=True)
            except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
                problems.append(f"{stack}/{path.name}: {getattr(error, 'message', error)}")
    assert not problems, "\n".join(problems)


def test_strict_validation_rejects_an_unknown_field(renders):
    policy = yaml.safe_load((renders / "dev/manifests/airflow-finance/networkpolicy-default-deny.yaml").read_text())
    policy["spec"]["podSelectr"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="podSelectr"):
        kubernetes_validate.validate(policy, KUBERNETES_VERSIONS[0], strict=True)


def test_field_changes_name_each_leaf_that_differs():
    base = {"spec": {"hard": {"limits.cpu": "1"}, "ports": [80, 443]}, "data": {"a": "x"}}
    head = {"spec": {"hard": {"limits.cpu": "2"}, "ports": [80, 8443]}, "labels": {"b": "y"}}
    assert [(c.path, c.base, c.head) for c in field_changes(base, head)] == [
        ("data", {"a": "x"}, ABSENT),
        ("labels", ABSENT, {"b": "y"}),
        ('spec.hard["limits.cpu"]', "1", "2"),
        ("spec.ports[1]", 443, 8443),
    ]


def test_items_added_to_or_removed_from_a_list_are_named_alone():
    base = {"egress": [{"ports": [53]}, {"ports": [88]}, {"ports": [443]}]}
    head = {"egress": [{"ports": [53]}, {"ports": [443]}, {"ports": [5432]}]}
    assert [(c.path, c.base, c.head) for c in field_changes(base, head)] == [
        ("egress[1]", {"ports": [88]}, ABSENT),
        ("egress[2]", ABSENT, {"ports": [5432]}),
    ]
    same_length = field_changes({"ports": [80, 443]}, {"ports": [80, 8443]})
    assert [(c.path, c.base, c.head) for c in same_length] == [("ports[1]", 443, 8443)]


def test_lists_of_named_items_are_compared_by_name_and_others_by_index():
    base = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    head = {"env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}
    assert [c.path for c in field_changes(base, head)] == ['env["B"].value', 'env["C"]', 'env["A"]']
    # Names that repeat name nothing: such a list is compared by position.
    twice = {"env": [{"name": "A"}, {"name": "A"}]}
    assert [c.path for c in field_changes(twice, {"env": [{"name": "A"}]})] == ["env[1]"]


def test_diff_of_identical_renders_says_no_changes(renders):
    report = markdown([diff_render(stack, renders / stack, renders / stack) for stack in STACKS])
    assert report.count("No changes.") == 2


def test_diff_groups_an_added_tenant_and_names_changed_fields(renders, tmp_path):
    document = copy.deepcopy(stack_document("dev"))
    document["tenants"][0]["maxWorkers"] = 12
    sales = copy.deepcopy(document["tenants"][1]) | {"name": "sales", "image": "sales-airflow:1.0.0"}
    sales["kerberos"] = {"principal": "svc-airflow-sales@CORP.COMPANY.COM", "keytabSecretId": 4104}
    document["tenants"].append(sales)
    assert render("dev", tmp_path / "head", write_stack_file(tmp_path / "Pulumi.dev.yaml", document)) == 0

    diff = diff_render("dev", renders / "dev", tmp_path / "head")
    assert not diff.removed
    assert diff.added and all("sales" in r["urn"] or "airflow-sales" in str(r["inputs"]) for r in diff.added)
    changed = {r["urn"].rsplit("::", 1)[1]: [c.path for c in changes] for r, changes in diff.changed}
    assert changed["finance-quota"] == [
        'spec.hard["limits.cpu"]', 'spec.hard["limits.memory"]', 'spec.hard["requests.cpu"]',
        'spec.hard["requests.memory"]',
    ]
    # The new pool namespace, and the new tenant's alert route and rules.
    assert changed["astronomer-release"] == [
        "values.alertmanager.customRoutes[3]", "values.global.namespaceManagement.namespacePools.namespaces.names[3]",
        "values.prometheus.additionalAlerts.airflow"]
    report = markdown([diff])
    assert "to add, " in report and "ResourceQuota `airflow-finance/tenant-ceiling`" in report
    assert "Namespace `airflow-sales`" in report


def test_diff_shows_a_removed_tenant_and_a_protection_change(renders, tmp_path):
    document = copy.deepcopy(stack_document("dev"))
    document["tenants"] = document["tenants"][:2]
    document["tenancy"]["protectNamespaces"] = True
    assert render("dev", tmp_path / "head", write_stack_file(tmp_path / "Pulumi.dev.yaml", document)) == 0

    diff = diff_render("dev", renders / "dev", tmp_path / "head")
    assert diff.removed and all("analytics" in r["urn"] for r in diff.removed)
    protected = [r["urn"] for r, changes in diff.changed if "options.protect" in [c.path for c in changes]]
    assert sorted(urn.rsplit("::", 1)[1] for urn in protected) == [
        f"{tenant}-{part}" for tenant in ("finance", "marketing") for part in ("deployment", "namespace", "workspace")]
    assert "`options.protect`: `false` → `true`" in markdown([diff])


def test_diff_over_stack_folders_reports_a_stack_missing_on_one_side(renders, tmp_path):
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "dev").symlink_to(renders / "dev")
    pairs = stacks(renders, tmp_path / "head")
    assert [name for name, _, _ in pairs] == ["dev", "prod"]
    report = markdown([diff_render(*pair) for pair in pairs])
    assert "No changes." in report and "No render on the head side" in report


def test_a_long_report_is_cut_between_blocks_with_its_details_closed(renders):
    diff = diff_render("dev", renders / "dev", renders / "dev")
    diff.changed = [({"type": "kubernetes:core/v1:ConfigMap", "name": f"cm{i}", "inputs": {}},
                     [FieldChange(f"data.key{i}", "a", "b")]) for i in range(500)]
    report = markdown([diff])
    cut = truncate(report, 5000)
    assert len(report) > 5000 >= len(cut)
    assert cut.count("<details") == cut.count("</details>")
    assert cut.endswith("the workflow run's summary has all of it.\n") and report.startswith(cut[:4000])
    for limit in (0, 50, 300):
        assert len(truncate(report, limit)) <= max(limit, 200)


class Box(pulumi.ComponentResource):
    """Children that declare aliases and options, and kinds whose SDK classes add aliases themselves."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Box", name, None, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="test:index:OldBox")]))
        cluster = k8s.Provider("cluster", context="test", opts=pulumi.ResourceOptions(parent=self))
        on_cluster = pulumi.ResourceOptions(parent=self, provider=cluster)
        settings = k8s.core.v1.ConfigMap("settings", metadata={"name": "settings"}, data={"k": "v"}, opts=on_cluster.merge(pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name="old-settings"), pulumi.Alias(name="settings", parent=None)],
            delete_before_replace=True, replace_on_changes=["data"], custom_timeouts=pulumi.CustomTimeouts(create="2m"))))
        k8s.networking.v1.NetworkPolicy("deny", metadata={"name": "deny"}, spec={"podSelector": {}},
                                        opts=on_cluster.merge(pulumi.ResourceOptions(depends_on=[settings])))
        k8s.core.v1.Secret("token", metadata={"name": "token"}, string_data={"token": pulumi.Output.secret("s3cret")},
                           opts=on_cluster.merge(pulumi.ResourceOptions(ignore_changes=["stringData"], protect=True)))
        builder = docker.Provider("builder", opts=pulumi.ResourceOptions(parent=self))
        docker.Image("image", image_name="registry.example.com/app:1", build={"context": "app"}, skip_push=True,
                     opts=pulumi.ResourceOptions(parent=self, provider=builder))
        self.register_outputs({})


def box_program() -> None:
    Box("box")


@pytest.fixture(scope="module")
def box() -> engine.Recording:
    return engine.run({}, [], program=box_program)


def by_name(recording: engine.Recording) -> dict[str, engine.Registration]:
    return {r.name: r for r in recording.resources}


def test_registrations_carry_aliases_and_options(box):
    resources = by_name(box)
    settings, deny, token = resources["settings"], resources["deny"], resources["token"]
    assert settings.aliases == ({"name": "old-settings"}, {"name": "settings", "noParent": True})
    assert settings.delete_before_replace is True and deny.delete_before_replace is None
    assert settings.replace_on_changes == ("data",) and settings.custom_timeouts == {"create": "2m"}
    assert deny.depends_on == (settings.urn,) and settings.depends_on == ()
    assert token.protect and token.ignore_changes == ("stringData",)
    assert {"data", "stringData"} <= set(token.additional_secret_outputs)
    assert resources["box"].aliases == ({"type": "test:index:OldBox"},)


def test_plan_lists_the_aliases_the_program_declared_and_not_the_sdks(box):
    resources = by_name(box)
    # The SDK classes alias old API versions by themselves; those stay out of the plan.
    assert {"type": "kubernetes:extensions/v1beta1:NetworkPolicy"} in resources["deny"].aliases
    assert {"type": "docker:image:Image"} in resources["image"].aliases
    plan = {r["name"]: r for r in json.loads(render_files(box, "dev")["plan.json"])}
    assert plan["settings"]["aliases"] == [{"name": "old-settings"}, {"name": "settings", "noParent": True}]
    assert plan["box"]["aliases"] == [{"type": "test:index:OldBox"}]
    assert plan["deny"]["aliases"] == plan["image"]["aliases"] == plan["token"]["aliases"] == []
    assert render_files(engine.run({}, [], program=box_program), "dev")["plan.json"] == render_files(box, "dev")["plan.json"]


@pytest.mark.parametrize(("resource_type", "alias", "added_by_sdk"), [
    ("kubernetes:networking.k8s.io/v1:NetworkPolicy", {"type": "kubernetes:extensions/v1beta1:NetworkPolicy"}, True),
    ("docker:index/image:Image", {"type": "docker:image:Image"}, True),
    ("kubernetes:core/v1:ConfigMap", {"type": "kubernetes:core/v1:ConfigMap"}, False),
    ("kubernetes:core/v1:ConfigMap", {"type": "kubernetes:core/v1:Secret"}, False),
    ("kubernetes:core/v1:ConfigMap", {"type": "test:index:ConfigMap"}, False),
    ("kubernetes:core/v1:ConfigMap", {"name": "old"}, False),
    ("kubernetes:apps/v1:Deployment", {"type": "kubernetes:extensions/v1beta1:Deployment", "name": "old"}, False),
    ("kubernetes:apps/v1:Deployment", {"urn": "urn:pulumi:dev::p::kubernetes:apps/v1beta1:Deployment::d"}, False),
])
def test_sdk_aliases_are_told_from_declared_ones(resource_type, alias, added_by_sdk):
    assert engine.migrates_api_version(resource_type, alias) is added_by_sdk


def test_committed_plans_hold_no_sdk_alias(renders):
    for stack in STACKS:
        plan = json.loads((renders / stack / "plan.json").read_text())
        assert all("aliases" in r for r in plan)
        sdk = [(r["urn"], a) for r in plan for a in r["aliases"] if engine.migrates_api_version(r["type"], a)]
        assert not sdk
