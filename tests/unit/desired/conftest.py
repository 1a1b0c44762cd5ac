"""Every desired-state test runs under both YAML backends: their results must be identical."""

from __future__ import annotations

import pytest

from reconciler.desired import yaml_backends


@pytest.fixture(autouse=True, params=yaml_backends.BACKENDS)
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    backend: str = request.param
    monkeypatch.setenv(yaml_backends.BACKEND_ENV, backend)
    assert yaml_backends.selected_backend() == backend
    return backend
