"""The first start of `python app.py` with no model available: one plain message, no tracebacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client

from rdr_search.app.service import STILL_LOADING, ModelsNotReady
from rdr_search.app.web import api_errors
from tests.app.helpers import free_port
from tests.data import REPO


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the app exited before serving"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the app did not answer at {url} within {seconds} s")


@pytest.mark.slow
def test_offline_start_says_once_what_failed_and_how_to_fix_it(tmp_path: Path) -> None:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("RDR_SEARCH_")}
    # An empty Hugging Face cache: the default RDR pair is nowhere on this machine.
    env.update({"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO)})
    command = [sys.executable, str(REPO / "app.py"), "--library", str(tmp_path / "lib"), "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, process)
        client = Client(url, verbose=False)
        answers = []
        for _ in range(3):  # every API call while the models are missing is an answer, not a crash
            with pytest.raises(Exception) as raised:
                client.predict("where is the nile?", 3, api_name="/search")
            answers.append(str(raised.value))
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert all("Cannot load the context encoder" in answer for answer in answers), answers
    assert output.count("Cannot load the context encoder") == 1, output
    message = output[output.index("Cannot load") :]
    for needed in ("question encoder", "hf download soheeyang/rdr-question_encoder", "--model-dir",
                   "--ctx-encoder", "--question-encoder", "HF_HUB_OFFLINE=1", "--sentence-encoder"):  # fmt: skip
        assert needed in message, needed
    assert "Traceback" not in output, output
    assert "Retrying" not in output, output


def test_an_expected_condition_reaches_the_client_without_a_traceback() -> None:
    @api_errors
    def search() -> None:
        raise ModelsNotReady(STILL_LOADING)

    with pytest.raises(gr.Error) as raised:
        search()
    assert raised.value.message == STILL_LOADING
    # Gradio prints a traceback for an event's error unless the error says not to.
    assert raised.value.print_exception is False
