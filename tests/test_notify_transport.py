"""The GOV.UK Notify transport against a local HTTP stand-in for the Notify API."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from conftest import Cli, events

TEMPLATE = "4f1e7c1a-0000-4000-8000-000000000001"


@dataclass
class FakeNotify:
    replies: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def notify_api() -> Iterator[tuple[FakeNotify, int]]:
    state = FakeNotify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "body": body,
                                   "auth": self.headers.get("Authorization", "")})
            status = state.replies.pop(0) if state.replies else 201
            payload = {"id": str(uuid.uuid4())} if status == 201 else {
                "errors": [{"error": "Error", "message": f"status {status}"}],
                "status_code": status}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, server.server_address[1]
    server.shutdown()
    server.server_close()


def use_notify(cli: Cli, port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"bvflow_test-{uuid.uuid4()}-{uuid.uuid4()}"
    monkeypatch.setenv("BV_NOTIFY_KEY", key)
    (cli.db.parent / "bvflow.toml").write_text(
        "[mail]\ntransport = \"notify\"\n[mail.notify]\napi_key_env = \"BV_NOTIFY_KEY\"\n"
        f"base_url = \"http://127.0.0.1:{port}\"\n[mail.notify.templates]\n"
        f"review_opened = \"{TEMPLATE}\"\n")


def test_notify_sends_with_the_outbox_id_as_reference(
        initialised: Cli, new_review: Callable[..., str], notify_api: tuple[FakeNotify, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    state, port = notify_api
    use_notify(initialised, port, monkeypatch)
    ref = new_review()
    assert initialised.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    (request,) = state.requests
    assert request["path"] == "/v2/notifications/email"
    assert request["auth"].startswith("Bearer ")
    assert request["body"]["email_address"] == "jo@exampleshire.gov.uk"
    assert request["body"]["template_id"] == TEMPLATE
    assert request["body"]["reference"] == "1"
    assert ref in request["body"]["personalisation"]["subject"]
    assert "Dear Review coordinator" in request["body"]["personalisation"]["body"]


def test_notify_retries_429_and_5xx_but_not_400(
        initialised: Cli, new_review: Callable[..., str], notify_api: tuple[FakeNotify, int],
        monkeypatch: pytest.MonkeyPatch, travel: time_machine.Coordinates) -> None:
    state, port = notify_api
    use_notify(initialised, port, monkeypatch)
    state.replies = [429, 503]
    new_review()
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 1, failed 0\n"
    travel.shift(timedelta(minutes=5))
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 1, failed 0\n"
    travel.shift(timedelta(minutes=5))
    assert initialised.ok("sweep").stdout == "queued 0, sent 1, retrying 0, failed 0\n"
    state.replies = [400]
    new_review("Street lighting")
    assert initialised.ok("sweep").stdout == "queued 0, sent 0, retrying 0, failed 1\n"
    failed = [json.loads(e[6])["payload"] for e in events(initialised.db)
              if e[2] == "notification.failed"]
    assert "400" in failed[0]["reason"]


def test_a_kind_without_a_template_id_fails_and_says_so(
        initialised: Cli, new_review: Callable[..., str], notify_api: tuple[FakeNotify, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, port = notify_api
    use_notify(initialised, port, monkeypatch)
    ref = new_review()
    initialised.ok("review", "suspend", ref, "--reason", "Purdah")
    initialised.ok("sweep")
    failed = json.loads(initialised.ok("outbox", "list", "--status", "failed", "--json").stdout)
    assert [m["kind"] for m in failed] == ["review_suspended"]
    assert failed[0]["last_error"] == "no GOV.UK Notify template id for review_suspended"


def test_a_missing_api_key_is_one_line(initialised: Cli, new_review: Callable[..., str],
                                       notify_api: tuple[FakeNotify, int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, port = notify_api
    use_notify(initialised, port, monkeypatch)
    monkeypatch.delenv("BV_NOTIFY_KEY")
    new_review()
    result = initialised("sweep")
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot deliver: set the GOV.UK Notify API key in " \
                            "$BV_NOTIFY_KEY\n"
