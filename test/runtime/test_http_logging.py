"""Logging on ``pieces_os_client``: what each request logs, what it never logs, and ``debug``."""

from __future__ import annotations

import http.client
import logging
import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from _scripted_server import Reply, ScriptedServer

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    Configuration,
    ModelsApi,
    NotFoundException,
)

APP_ID = "app-id-SECRET-7f3a"
TOKEN = "token-SECRET-91bc"


def _secret_config(server: ScriptedServer, **settings: object) -> Configuration:
    config = Configuration(host=server.url, access_token=TOKEN, **settings)  # type: ignore[arg-type]
    config.api_key["application"] = APP_ID
    return config


def _all_text(records: List[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__!r}" for r in records)


def test_debug_logging_has_method_url_status_and_time_and_no_secrets(
    scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_server.script(Reply(503))
    with caplog.at_level(logging.DEBUG), ApiClient(_secret_config(scripted_server)) as client:
        api = ModelsApi(client)
        api.models_snapshot()
        api.unload_models()
        scripted_server.script(Reply(404, {"error": "no"}))
        with pytest.raises(NotFoundException):
            api.models_delete_specific_model("missing")

    ours = [r.getMessage() for r in caplog.records if r.name == "pieces_os_client"]
    url = scripted_server.url
    expected = [
        rf"GET {url}/models -> 200 in \d+\.\d ms",
        rf"POST {url}/models/unload -> 204 in \d+\.\d ms",
        rf"POST {url}/models/missing/delete -> 404 in \d+\.\d ms",
    ]
    for pattern in expected:
        assert any(re.fullmatch(pattern, m) for m in ours), (pattern, ours)
    assert any("retrying GET" in m and "503" in m for m in ours)
    # Every record from every logger (urllib3's included) is free of credentials.
    text = _all_text(caplog.records)
    assert APP_ID not in text and TOKEN not in text


def test_a_failed_request_is_logged_with_its_url(caplog: pytest.LogCaptureFixture) -> None:
    from _scripted_server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    client = ApiClient(Configuration(host=url, retries=0))
    logs = caplog.at_level(logging.DEBUG, logger="pieces_os_client")
    with logs, client, pytest.raises(ApiConnectionError):
        ModelsApi(client).models_snapshot()
    assert any(
        re.match(rf"GET {url}/models failed after \d+\.\d ms", r.getMessage())
        for r in caplog.records
    )


def test_nothing_is_logged_at_info_for_a_plain_success(
    scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = ApiClient(Configuration(host=scripted_server.url))
    with caplog.at_level(logging.INFO, logger="pieces_os_client"), client:
        ModelsApi(client).models_snapshot()
    assert [r for r in caplog.records if r.name.startswith("pieces_os_client")] == []


def _process_logging_state() -> Tuple[int, Dict[str, object]]:
    manager = logging.Logger.manager
    loggers = {
        name: (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root = logging.getLogger()
    loggers[""] = (root.level, list(root.handlers), True, root.disabled)
    return http.client.HTTPConnection.debuglevel, loggers


def test_debug_true_changes_no_process_wide_state_and_still_logs(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    log_file = tmp_path / "sdk.log"
    before = _process_logging_state()
    config = _secret_config(scripted_server)
    config.logger_file = str(log_file)
    config.debug = True
    with ApiClient(config) as client:
        ModelsApi(client).models_snapshot()
        ModelsApi(client).unload_models()
    after = _process_logging_state()

    assert after[0] == 0 == http.client.HTTPConnection.debuglevel
    assert before[1] == after[1]
    text = log_file.read_text()
    assert f"GET {scripted_server.url}/models -> 200 in" in text
    assert f"POST {scripted_server.url}/models/unload -> 204 in" in text
    assert APP_ID not in text and TOKEN not in text


def test_debug_true_logs_to_stderr_by_default(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Configuration(host=scripted_server.url, debug=True)
    with ApiClient(config) as client:
        ModelsApi(client).models_snapshot()
    assert f"GET {scripted_server.url}/models -> 200 in" in capsys.readouterr().err


def test_debug_is_per_configuration(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    loud = Configuration(host=scripted_server.url, debug=True)
    quiet = Configuration(host=scripted_server.url)
    with ApiClient(loud) as a, ApiClient(quiet) as b:
        ModelsApi(a).unload_models()
        capsys.readouterr()
        ModelsApi(b).unload_models()
    assert capsys.readouterr().err == ""


def test_debug_log_file_is_not_held_open(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    """Dropping a debug configuration leaves no open file behind (no ResourceWarning)."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = Configuration(host=scripted_server.url, debug=True)
        config.logger_file = str(tmp_path / "sdk.log")
        with ApiClient(config) as client:
            ModelsApi(client).unload_models()
        del config, client
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "/models/unload -> 204" in (tmp_path / "sdk.log").read_text()
