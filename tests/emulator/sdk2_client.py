"""Run under the official SDK 2.x by test_sdk2_fidelity.py: talk to the emulator, print a verdict.

Usage: ``python sdk2_client.py BASE_URL API_KEY AFTER BEFORE``. It imports only the SDK and the stdlib (the
project's environment pins SDK 1.6.0 under the same import name), parses everything with strict response
validation, and checks that no parsed model holds a key the SDK does not know (``model_extra``), except
where the SDK allows extras (the job's ``Metadata``). The verdict is one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import llama_cloud
from llama_cloud import AuthenticationError, LlamaCloud, NotFoundError
from pydantic import BaseModel

EXPAND = ["configuration", "extract_metadata", "usage"]
EXTRAS_ALLOWED = {"Metadata"}  # ExtractV2Job.metadata: "extra keys allowed"


def unknown_keys(value: Any, path: str, found: list[str], counter: list[int]) -> None:
    """Collect the path of every model anywhere in ``value`` that kept keys its class does not declare."""
    if isinstance(value, BaseModel):
        counter[0] += 1
        if value.model_extra and type(value).__name__ not in EXTRAS_ALLOWED:
            found.append(f"{path} ({type(value).__name__}): {sorted(value.model_extra)}")
        for name in type(value).model_fields:
            unknown_keys(getattr(value, name), f"{path}.{name}", found, counter)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            unknown_keys(item, f"{path}[{i}]", found, counter)
    elif isinstance(value, dict):
        for key, item in value.items():
            unknown_keys(item, f"{path}.{key}", found, counter)


def main(base_url: str, api_key: str, after: str, before: str) -> dict[str, Any]:
    """Exercise the v2 extract and configurations resources and describe what came back."""
    client = LlamaCloud(api_key=api_key, base_url=base_url, max_retries=0, _strict_response_validation=True)
    found: list[str] = []
    counter = [0]
    jobs = list(client.extract.list(page_size=9, expand=EXPAND))
    filtered = list(
        client.extract.list(
            created_at_on_or_after=datetime.fromisoformat(after),
            created_at_on_or_before=datetime.fromisoformat(before),
            status="COMPLETED",
            page_size=4,
            expand=["configuration"],
        )
    )
    completed = next(job for job in jobs if job.status == "COMPLETED")
    got = client.extract.get(completed.id, expand=EXPAND)
    configurations = list(client.configurations.list(product_type=["extract_v2"], page_size=2))
    retrieved = client.configurations.retrieve(configurations[0].id)
    for name, value in (("jobs", jobs), ("filtered", filtered), ("got", got)):
        unknown_keys(value, name, found, counter)
    unknown_keys(configurations, "configurations", found, counter)
    unknown_keys(retrieved, "retrieved", found, counter)
    try:
        client.extract.get("ext-00000000-0000-4000-8000-000000000000")
        not_found = False
    except NotFoundError:
        not_found = True
    wrong = LlamaCloud(api_key="llx-wrong-key", base_url=base_url, max_retries=0)
    try:
        list(wrong.extract.list())
        auth_error = False
    except AuthenticationError:
        auth_error = True
    return {
        "sdk_version": llama_cloud.__version__,
        "job_ids": [job.id for job in jobs],
        "filtered_ids": [job.id for job in filtered],
        "filtered_have_configuration": all(job.configuration is not None for job in filtered),
        "got": got.model_dump(mode="json", exclude_unset=True),
        "configuration_ids": [c.id for c in configurations],
        "configuration_types": sorted({type(c.parameters).__name__ for c in configurations}),
        "retrieved_id": retrieved.id,
        "not_found": not_found,
        "auth_error": auth_error,
        "unknown_keys": found,
        "models_checked": counter[0],
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
