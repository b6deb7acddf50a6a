"""Fidelity: the official SDK 2.19.0 (v2 extract and configurations) talks to the emulator over loopback.

SDK 2.x has the same import name as the 1.6.0 the dev environment pins, so it lives in an environment of its
own (``make test`` builds ``.venv-sdk2``) and runs ``sdk2_client.py`` in a subprocess; its interpreter comes
from ``LLAMACLOUD_ETL_SDK2_PYTHON``. Without it the test skips, unless ``LLAMACLOUD_ETL_REQUIRE_SDK2=1`` (set
by ``make test``, so CI can never skip it).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from llamacloud_etl.emulator import DEFAULT_API_KEY, Dataset, EmulatorApp, EmulatorServer, build_dataset

SCRIPT = Path(__file__).with_name("sdk2_client.py")


def sdk2_python() -> str:
    """The SDK 2.x interpreter, or skip (fail when it is required)."""
    python = os.environ.get("LLAMACLOUD_ETL_SDK2_PYTHON")
    if python:
        return python
    if os.environ.get("LLAMACLOUD_ETL_REQUIRE_SDK2") == "1":
        pytest.fail("LLAMACLOUD_ETL_REQUIRE_SDK2=1 but LLAMACLOUD_ETL_SDK2_PYTHON is not set")
    pytest.skip(
        "needs LLAMACLOUD_ETL_SDK2_PYTHON (an interpreter with llama-cloud==2.19.0); `make test` sets it"
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """200 extractions, the last three weeks served as v2 jobs."""
    return build_dataset(200, seed=5, v2_from=date(2026, 9, 22))


@pytest.fixture(scope="module")
def verdict(dataset: Dataset) -> dict[str, Any]:
    """What the SDK saw, run once for the module's tests."""
    python = sdk2_python()
    completed = dataset.v2_jobs_with_status("COMPLETED")
    after, before = completed[-4]["created_at"], completed[3]["created_at"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLAMA_CLOUD_", "LLAMA_PARSE_"))}
    with EmulatorServer(EmulatorApp(dataset)) as server:
        done = subprocess.run(
            [python, str(SCRIPT), server.url, DEFAULT_API_KEY, after.replace("Z", "+00:00"), before],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_sdk_is_2_19(verdict: dict[str, Any]) -> None:
    """The subprocess ran the SDK version the emulator copies."""
    assert verdict["sdk_version"] == "2.19.0"


def test_sdk_auto_paginates_every_job(verdict: dict[str, Any], dataset: Dataset) -> None:
    """extract.list with expand walks every page: the data set's v2 jobs, newest first."""
    assert verdict["job_ids"] == [job["id"] for job in dataset.v2_jobs]


def test_sdk_filters_by_dates_and_status(verdict: dict[str, Any], dataset: Dataset) -> None:
    """Inclusive date bounds (sent as datetimes) and status=COMPLETED give exactly the expected jobs."""
    completed = dataset.v2_jobs_with_status("COMPLETED")
    assert verdict["filtered_ids"] == [job["id"] for job in completed[3:-3]]
    assert verdict["filtered_have_configuration"]


def test_sdk_gets_a_job_with_every_expansion(verdict: dict[str, Any], dataset: Dataset) -> None:
    """extract.get with expand parses the whole job; its result and metadata equal the data set's."""
    got = verdict["got"]
    expected = dataset.v2_job(got["id"])
    assert got["extract_result"] == expected["extract_result"]
    assert got["extract_metadata"] == expected["extract_metadata"]
    assert got["usage"] == expected["usage"]
    assert got["configuration"]["data_schema"] == expected["configuration"]["data_schema"]


def test_sdk_lists_and_retrieves_configurations(verdict: dict[str, Any], dataset: Dataset) -> None:
    """configurations.list(product_type=[extract_v2]) pages through the agents' configurations."""
    extract = [c["id"] for c in dataset.configurations if c["product_type"] == "extract_v2"]
    assert verdict["configuration_ids"] == extract
    assert verdict["configuration_types"] == ["ExtractV2Parameters"]
    assert verdict["retrieved_id"] == extract[0]


def test_sdk_raises_its_errors(verdict: dict[str, Any]) -> None:
    """An unknown job raises NotFoundError and a wrong key AuthenticationError."""
    assert (verdict["not_found"], verdict["auth_error"]) == (True, True)


def test_no_key_unknown_to_the_sdk(verdict: dict[str, Any]) -> None:
    """No parsed model kept a key its SDK class does not declare (except the open Metadata)."""
    assert verdict["unknown_keys"] == []
    assert verdict["models_checked"] > 100
