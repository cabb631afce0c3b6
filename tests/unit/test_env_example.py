""".env.example names every variable the settings read, so an operator sees all of them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"env_(?:str|int|bool|list)\(\s*['\"]([A-Z0-9_]+)['\"]")


def test_every_variable_the_settings_read_is_in_the_example() -> None:
    sources = [*ROOT.joinpath("config").rglob("*.py")]
    read = {name for path in sources for name in READ.findall(path.read_text())}
    read |= {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}
    listed = {
        line.split("=", 1)[0]
        for line in ROOT.joinpath(".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert read - listed == set(), "add these to .env.example"
    assert listed - read == set(), "no setting reads these"
