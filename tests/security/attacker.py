"""An attacker's toolkit: a real ``python app.py --session-scoped`` process and raw HTTP calls against it.

Nothing here uses gradio_client: requests are built by hand, as someone probing a public Space would, with or
without a session_hash, with paths of their choosing inside file objects.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.app.helpers import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class AppProcess:
    """A running app process and where it keeps things."""

    url: str
    process: subprocess.Popen[bytes]
    tmp: Path
    log: Path

    @property
    def upload_folder(self) -> Path:
        return self.tmp / "gradio"

    @property
    def sessions_root(self) -> Path:
        return self.tmp / "rdr-search-sessions"

    def session_folders(self) -> list[Path]:
        return sorted(self.sessions_root.glob("run-*/session-*"))

    def children(self) -> list[int]:
        """Process ids whose parent is the app (parser workers, multiprocessing's helpers)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.process.pid:
                        found.append(int(entry.name))
        return found

    def peak_rss_mb(self) -> float:
        """The app's peak resident memory so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def app_env(tmp: Path, tiny_pair: tuple[Path, Path], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RDR_SEARCH_", "GRADIO_"))}
    env.pop("SPACE_ID", None)
    env.update(
        TMPDIR=str(tmp),  # the upload folder and the sessions root both live under the temp dir
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(REPO),
        RDR_SEARCH_CTX_ENCODER=str(tiny_pair[0]),
        RDR_SEARCH_QUESTION_ENCODER=str(tiny_pair[1]),
        RDR_SEARCH_SESSION_SCOPED="1",
        RDR_SEARCH_DEVICE="cpu",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def app_process(tmp: Path, tiny_pair: tuple[Path, Path], **extra_env: str) -> Iterator[AppProcess]:
    """Start ``python app.py`` on a free port; wait until its models are ready; stop it afterwards."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tmp / f"app-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=REPO,
            env=app_env(tmp, tiny_pair, **extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = AppProcess(f"http://127.0.0.1:{port}/", process, tmp, log)
    try:
        wait_ready(app)
        yield app
    finally:
        stop(app, signal.SIGTERM)


def wait_ready(app: AppProcess, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise AssertionError(f"the app exited: {app.log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if call(app, "documents", [], timeout=30).ok:  # refused while the models load
                return
        time.sleep(0.5)
    raise AssertionError(f"the app did not get ready: {app.log.read_text()[-3000:]}")


def stop(app: AppProcess, sig: int) -> None:
    if app.process.poll() is None:
        app.process.send_signal(sig)
        try:
            app.process.wait(30)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait(10)


def upload(app: AppProcess, *files: Path) -> list[str]:
    """POST files to the upload endpoint as the browser does; returns the server paths."""
    parts = [("files", (f.name, f.read_bytes())) for f in files]
    response = httpx.post(app.url + "gradio_api/upload", files=parts, timeout=30)
    response.raise_for_status()
    return list(response.json())


def file_data(path: str) -> dict[str, Any]:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


@dataclass
class Reply:
    """What a /gradio_api/call request ended with."""

    status: int
    event: str
    data: Any

    @property
    def ok(self) -> bool:
        return self.event == "complete"


def call(app: AppProcess, api: str, data: list[Any], session: str | None = None, timeout: float = 120) -> Reply:
    """POST /gradio_api/call/<api> (with ``session`` as session_hash, or none) and read the result stream."""
    body: dict[str, Any] = {"data": data}
    if session is not None:
        body["session_hash"] = session
    response = httpx.post(app.url + f"gradio_api/call/{api}", json=body, timeout=timeout)
    if response.status_code != 200:
        return Reply(response.status_code, "refused", _json_or_text(response.text))
    event_id = response.json()["event_id"]
    stream = httpx.get(app.url + f"gradio_api/call/{api}/{event_id}", timeout=timeout)
    event, payload = "", None
    for line in stream.text.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            payload = _json_or_text(line.split(":", 1)[1].strip())
    return Reply(stream.status_code, event, payload)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def outcomes(reply: Reply) -> dict[str, dict[str, Any]]:
    assert reply.ok, reply
    return {o["source"]: o for o in reply.data[0]}
