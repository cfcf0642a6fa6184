"""``flowpilot docs``: dbt's documentation site, generated and served offline on 127.0.0.1.

dbt's ``index.html`` carries its JavaScript, CSS and fonts inline and reads ``manifest.json``
and ``catalog.json`` from beside it. The one remote resource it can load is the page-view
tracker of dbt Labs (a ``<script>`` from a CDN), and only when the manifest says
``send_anonymous_usage_stats``; the project turns that off, and ``offline_site`` removes the
loader anyway, so that the page never reaches out. ``static_index.html`` (``--static``) has the
manifest and catalog built in and opens from the file system as well.
"""

from __future__ import annotations

import functools
import http.server
import re
from collections.abc import Mapping
from pathlib import Path

from flowpilot_tools import PROJECT_ROOT
from flowpilot_tools.dbt import run_dbt

PAGES = ("index.html", "static_index.html")
# The tracker loader of dbt docs: i.src="//<cdn>/<version>/sp.js" (snowplow).
TRACKER = re.compile(r'i\.src="(?:https?:)?//[^"]+/sp\.js"')
# What a browser would fetch by itself: src/href attributes, CSS url(), @import of a URL on
# another host (the loopback addresses in Angular's URL parser are not).
REMOTE_LOAD = re.compile(
    r"""(?:\bsrc\s*=\s*|\bhref\s*=\s*|url\(\s*|@import\s+)["']?(?:https?:)?//"""
    r"""(?!\[::1\]|localhost\b|127\.)[a-z0-9-]+(?:\.[a-z0-9-]+)+""",
    re.IGNORECASE,
)


def remote_loads(html: str) -> list[str]:
    """The places in HTML that would make a browser fetch from another host."""
    return [html[max(0, m.start() - 40): m.end() + 60] for m in REMOTE_LOAD.finditer(html)]


def offline_site(target: Path) -> list[Path]:
    """Remove the tracker loader from the generated pages; raise if any remote load is left."""
    written = []
    for name in PAGES:
        page = target / name
        if not page.exists():
            continue
        html = TRACKER.sub('i.src=""', page.read_text(encoding="utf-8"))
        left = remote_loads(html)
        if left:
            raise RuntimeError(f"{page} still loads from another host: {left[:3]}")
        page.write_text(html, encoding="utf-8")
        written.append(page)
    return written


def generate(env: Mapping[str, str], target: Path, as_of: str | None = None) -> int:
    """`dbt docs generate --static` into TARGET (the catalog reads the warehouse), offline."""
    args = ["docs", "generate", "--static"]
    if as_of is not None:
        args += ["--vars", f'{{"as_of": "{as_of}"}}']
    result = run_dbt(args, env, target_path=target if target != PROJECT_ROOT / "target" else None)
    if result.returncode == 0:
        offline_site(target)
    return result.returncode


def server(target: Path, port: int = 8080) -> http.server.ThreadingHTTPServer:
    """An HTTP server of TARGET on 127.0.0.1 only (port 0: any free port)."""
    handler = functools.partial(_QuietHandler, directory=str(target))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass
