"""tests/testutils_seed.py and its hook in tests/conftest.py: a test that draws its world at random names its seed
when it fails, and ``GEOHAZARD_TEST_SEED`` draws the same world again."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import testutils_seed
from testutils_seed import ENV, drawn_seed

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_variable_gives_the_seed_and_a_fresh_one_is_drawn_without_it(monkeypatch):
    monkeypatch.setenv(ENV, "123456")
    assert drawn_seed() == 123456 and drawn_seed(1000) == 456
    monkeypatch.setenv("FORECAST_WORLD_SEED", "77")
    assert drawn_seed(env="FORECAST_WORLD_SEED") == 77 and drawn_seed(env="NOT_SET_HERE_SEED") == 123456
    monkeypatch.delenv(ENV)
    seeds = {drawn_seed() for _ in range(8)}
    assert len(seeds) > 1 and all(0 <= s < 2 ** 31 for s in seeds)
    monkeypatch.setenv(ENV, "seven")
    with pytest.raises(ValueError, match=r"GEOHAZARD_TEST_SEED='seven' is not a whole number"):
        drawn_seed()


def test_the_seeds_a_test_drew_are_in_its_note(monkeypatch):
    monkeypatch.setattr(testutils_seed, "DRAWN", {"a.py": [5], "a.py::test_x": [9, 5], "a.py::test_y": [3]})
    note = testutils_seed.failure_note(["a.py", "a.py::test_x"])
    assert "from seed 5, 9" in note and f"{ENV}=9 make test" in note and "3" not in note
    assert testutils_seed.failure_note(["b.py"]) == ""


def test_a_failing_test_reports_its_seed_and_the_seed_draws_its_world_again(tmp_path):
    """A failing test run by pytest with the suite's conftest: its report names the seed of its module fixture and
    of its own draw (not another test's), and the same seed given back draws the same values."""
    (tmp_path / "test_drawn.py").write_text(
        "import numpy as np, pytest\n"
        "from testutils_seed import drawn_seed\n"
        "@pytest.fixture(scope='module')\n"
        "def world():\n"
        "    return np.random.default_rng(drawn_seed()).random()\n"
        "def test_other():\n"
        "    drawn_seed(1000)\n"
        "def test_fails(world):\n"
        "    print('VALUE', world)\n"
        "    assert world < 0\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    env.pop(ENV, None)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest", "-s",
            str(tmp_path / "test_drawn.py"), "--rootdir", str(tmp_path)]
    first = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert first.returncode == 1, first.stdout + first.stderr
    lines = [line for line in first.stdout.splitlines() if "make test" in line]
    assert len(lines) == 1 and f"{ENV}=" in lines[0] and "test_drawn.py::test_fails" in lines[0], first.stdout
    seed = int(lines[0].split(f"{ENV}=")[1].split()[0])
    value = re.findall(r"VALUE (\S+)", first.stdout)
    assert value == [repr(np.random.default_rng(seed).random())], first.stdout
    again = subprocess.run(args, capture_output=True, text=True, env={**env, ENV: str(seed)}, cwd=tmp_path,
                           timeout=300)
    assert re.findall(r"VALUE (\S+)", again.stdout) == value, again.stdout


# Draws from the operating system's entropy or a global generator, which no variable repeats.
UNSEEDED = re.compile(r"default_rng\(\s*\)|SeedSequence\(\s*\)|os\.urandom\(|random\.Random\(\s*\)|"
                      r"(?<![\w.])random\.(random|randint|randrange|choice|choices|sample|shuffle|uniform|gauss)\(|"
                      r"np\.random\.(seed|rand|randn|randint|normal|uniform|choice|shuffle|permutation|random)\(")

def test_every_test_that_draws_at_random_takes_its_seed_from_the_helper():
    """No test file draws from fresh entropy or numpy's and Python's global generators itself: its draws go through
    ``drawn_seed`` so that a failure names its seed and ``GEOHAZARD_TEST_SEED`` repeats it."""
    found = []
    for folder, _, names in os.walk(TESTS):
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, TESTS)
            if not name.endswith(".py") or name in ("testutils_seed.py", "test_testutils_seed.py"):
                continue
            with open(path, encoding="utf-8") as fh:
                for k, line in enumerate(fh, 1):
                    if UNSEEDED.search(line.split("#")[0]):
                        found.append(f"{rel}:{k}: {line.strip()}")
    assert not found, "draw the seed with testutils_seed.drawn_seed():\n" + "\n".join(found)
