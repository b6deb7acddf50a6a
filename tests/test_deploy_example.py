"""The Kubernetes deployment example loads without a cluster: Dagster accepts its instance and workspace.

dagster-k8s is not installed (nor a dependency), so the run launcher's own config cannot be
validated by its class. What is checked: Dagster's instance schema accepts ``dagster.yaml`` (storage,
the launcher as a configurable class, the concurrency pools and run queue limits), the launcher's
keys are among those K8sRunLauncher documents, the workspace passes Dagster's workspace schema, the
Helm values say the same limits, and the definitions build from the settings the example gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import ensure_workspace_config

from llamacloud_etl.defs import build_defs
from llamacloud_etl.defs.assets import POOL
from llamacloud_etl.defs.keys import RUNS_KEY
from llamacloud_etl.defs.schedules import LANE_TAG
from llamacloud_etl.settings import MAX_PARTITIONS_PER_RUN_ENV, OUTPUT_ENV

EXAMPLE = Path(__file__).parent.parent / "examples" / "kubernetes"

# K8sRunLauncher's config fields, from dagster-k8s's documentation (dagster_k8s/launcher.py,
# DagsterK8sJobConfig.config_type() plus the launcher's own).
K8S_LAUNCHER_FIELDS = {
    "job_image", "image_pull_policy", "image_pull_secrets", "service_account_name",
    "instance_config_map", "postgres_password_secret", "dagster_home", "env_config_maps",
    "env_secrets", "env_vars", "volume_mounts", "volumes", "labels", "resources",
    "scheduler_name", "security_context", "run_k8s_config", "fail_pod_on_run_failure",
    "job_namespace", "load_incluster_config", "kubeconfig_file",
}  # fmt: skip


def load(name: str) -> dict:
    """One YAML file of the example."""
    return yaml.safe_load((EXAMPLE / name).read_text())


def test_dagster_accepts_the_instance_config() -> None:
    """Dagster's instance schema accepts dagster.yaml; its launcher is K8sRunLauncher with documented keys."""
    config, _ = dagster_instance_config(str(EXAMPLE))
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    assert set(launcher["config"]) <= K8S_LAUNCHER_FIELDS
    assert config["concurrency"]["pools"]["granularity"] == "run"
    assert config["concurrency"]["pools"]["default_limit"] > 1


def test_the_validation_is_not_vacuous(tmp_path: Path) -> None:
    """The same file with a misspelt concurrency key is refused, so the check above can fail."""
    shutil.copy(EXAMPLE / "dagster.yaml", tmp_path / "dagster.yaml")
    text = (tmp_path / "dagster.yaml").read_text().replace("max_concurrent_runs", "max_concurent_runs")
    (tmp_path / "dagster.yaml").write_text(text)
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


def test_the_run_queue_keeps_the_recent_lane_to_one_run() -> None:
    """The schedule's and sensor's lane is limited to one run, in dagster.yaml and the Helm values alike."""
    limits = load("dagster.yaml")["concurrency"]["runs"]["tag_concurrency_limits"]
    helm = load("values.yaml")["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert {"key": LANE_TAG, "value": "recent", "limit": 1} in limits
    assert helm["tagConcurrencyLimits"] == limits
    assert helm["maxConcurrentRuns"] == load("dagster.yaml")["concurrency"]["runs"]["max_concurrent_runs"]
    assert POOL in (EXAMPLE / "dagster.yaml").read_text()


def test_dagster_accepts_the_workspace() -> None:
    """The workspace points Dagster at the user deployment's gRPC server."""
    workspace = ensure_workspace_config(load("workspace.yaml"), str(EXAMPLE / "workspace.yaml"))
    assert (
        workspace["load_from"][0]["grpc_server"]["port"]
        == load("values.yaml")["dagster-user-deployments"]["deployments"][0]["port"]
    )


def test_the_definitions_build_from_the_examples_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the example's ConfigMap as environment, the landing writes to S3 and backfills in 30-day runs."""
    values = (EXAMPLE / "values.yaml").read_text()
    assert f"{OUTPUT_ENV}=s3://lake/llamacloud" in values and f"{MAX_PARTITIONS_PER_RUN_ENV}=30" in values
    monkeypatch.setenv(OUTPUT_ENV, "s3://lake/llamacloud")
    monkeypatch.setenv(MAX_PARTITIONS_PER_RUN_ENV, "30")
    defs = build_defs(agent_assets=[])
    landing = defs.resolve_assets_def(RUNS_KEY)
    assert landing.backfill_policy == dg.BackfillPolicy.multi_run(30)
    assert landing.op.pool == POOL
    assert defs.resources is not None and defs.resources["parquet"].root == "s3://lake/llamacloud"
