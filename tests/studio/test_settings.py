"""Production settings: with DEBUG off the studio refuses the development key, is secure by
default, and `manage.py check --deploy` is silent with the environment the README documents."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

ROOT = Path(__file__).resolve().parents[2]


def _readme_production_env() -> dict[str, str]:
    """The variables of the README's production block, the secret key made as it says."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- production-env -->\s*```sh\n(.*?)```", readme, re.S)
    assert block, "README.md has no production environment block"
    env = dict(re.findall(r"^export (\w+)=(\S*)$", block.group(1), re.M))
    assert "DJANGO_SECRET_KEY" in block.group(1) and env["DJANGO_DEBUG"] == "0"
    env["DJANGO_SECRET_KEY"] = get_random_secret_key()
    return env


def _run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what a server would have: PATH and the test's Redis, none of the test's settings.
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, *code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(env: dict[str, str], *names: str) -> dict[str, object]:
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    done = _run(["-c", script], {"DJANGO_SETTINGS_MODULE": "studio.settings", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_it_refuses_to_start_on_the_development_key_with_debug_off():
    """DEBUG off and no DJANGO_SECRET_KEY: manage.py stops with the variable named."""
    done = _run(["manage.py", "check"], {"DJANGO_DEBUG": "0"})
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr and "development" in done.stderr


def test_debug_on_runs_on_the_development_key():
    """A laptop (DEBUG on, the default) needs no key."""
    done = _run(["manage.py", "check"], {"DJANGO_DEBUG": "1"})
    assert done.returncode == 0, done.stderr


def test_a_secret_key_starting_with_a_dollar_is_taken_as_it_is():
    """A key that starts with "$" (Django makes one in 50 so) is the key, not a reference."""
    key = "$" + get_random_secret_key()[1:]
    values = _settings({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": key}, "SECRET_KEY")
    assert values == {"SECRET_KEY": key}


def test_any_value_starting_with_a_dollar_is_taken_as_it_is():
    """The share visitors' secret, a Redis password, a rate: none is read as the name of
    another variable (django-environ's "$NAME" references are off)."""
    secret = "$" + get_random_secret_key()[1:]
    values = _settings(
        {
            "REELSMITH_SHARE_VISITOR_SECRET": secret,
            "REDIS_URL": "$redis-url-as-typed",
            "RATE_LIMIT_JOBS": "$30/m",
        },
        "SHARE_VISITOR_SECRET",
        "REDIS_URL",
        "RATE_LIMITS",
    )
    assert values["SHARE_VISITOR_SECRET"] == secret
    assert values["REDIS_URL"] == "$redis-url-as-typed"
    assert values["RATE_LIMITS"]["jobs"] == "$30/m"  # type: ignore[index]


def test_production_is_secure_by_default():
    """Secure cookies, the SSL redirect, a year of HSTS and the proxy header, all by default."""
    values = _settings(
        {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": get_random_secret_key()},
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_each_production_default_comes_from_the_environment():
    """An operator can turn each one off (say, a proxy that redirects to HTTPS itself)."""
    values = _settings(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": get_random_secret_key(),
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "60",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "",
        },
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 60,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_check_deploy_reports_nothing_with_the_readmes_production_environment():
    """`manage.py check --deploy --fail-level WARNING` with the README's block: no issue at all."""
    done = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _readme_production_env()
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "System check identified no issues (0 silenced).\n"
