"""Every panel test also fails when a callback hit a bug that the panel's guard caught and showed."""

import logging

import pytest


@pytest.fixture(autouse=True)
def no_hidden_callback_errors(caplog):
    caplog.set_level(logging.ERROR, logger="explorer")
    yield
    bugs = [r for r in caplog.get_records("call") if r.name == "explorer" and r.exc_info]
    assert not bugs, f"a panel callback failed: {bugs[0].getMessage()}\n{bugs[0].exc_text or ''}"
