"""The ``pinst reclaim`` command line: settings in, the report out (text, or JSON on stdout)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pinst._core.limits import UnpackLimits
from pinst._core.link import LinkMode
from pinst.cache.errors import os_errors_reported
from pinst.config.settings import DEFAULT_INDEX_URL, SETTINGS, Settings, resolve
from pinst.index.sources import Sources
from pinst.output.report import Reporter
from pinst.reclaim.run import ReclaimOptions, reclaim


def run_reclaim(args: argparse.Namespace) -> int:
    given = {item.key: getattr(args, item.key.replace("-", "_"), None) for item in SETTINGS}
    settings = resolve(given, no_config=args.no_config)
    options = ReclaimOptions(
        paths=args.paths,
        cache_dir=settings.path("cache-dir") or Path(),
        sources=_sources(settings),
        link_mode=LinkMode(settings.text("link-mode")),
        offline=settings.flag("offline"),
        dry_run=args.dry_run,
        all_users=args.all_users,
        timeout=settings.number("timeout"),
        limits=UnpackLimits(
            max_unpacked_size=int(settings.number("max-unpacked-size")),
            max_compression_ratio=int(settings.number("max-compression-ratio")),
        ),
    )
    reporter = Reporter.for_stderr(
        args.verbose - args.quiet, no_progress=settings.flag("no-progress")
    )
    with os_errors_reported("reclaim"):
        report = reclaim(options, reporter)
    for line in report.lines():
        reporter.info(line)
    if args.json:
        print(report.to_json())
    return 0


def _sources(settings: Settings) -> Sources:
    find_links = settings.texts("find-links")
    if settings.flag("no-index"):
        return Sources([], find_links)
    primary = settings.text("index-url") or DEFAULT_INDEX_URL
    indexes = list(dict.fromkeys([primary, *settings.texts("extra-index-url")]))
    return Sources(indexes, find_links)
