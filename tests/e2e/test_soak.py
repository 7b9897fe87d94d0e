"""The kill -9 soak (scripts/soak.sh, tests/soak/soak.py) in its short form:
500 recipients, 3 kills at random moments, the full check after each
restart (counters add up and match the recipients list, no attempt made
twice, progress never undone) and at completion (nobody lost, every
disposition by the simulated provider's digit table). The long run's
figures are in docs/testing.md."""
import os
import pathlib
import subprocess

from conftest import BIN
from helpers import SLOW

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_short_soak_loses_nothing_and_attempts_nothing_twice():
    env = dict(os.environ, CAMPAIGND_BIN=BIN)
    r = subprocess.run([str(REPO / "scripts" / "soak.sh"), "--kills", "3", "--recipients", "500"],
                       env=env, capture_output=True, text=True, timeout=120 * SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "soak: OK" in r.stdout, r.stdout
    assert "lost 0  attempted twice 0" in r.stdout, r.stdout
