"""The install's options from the parsed command line: each setting from the command line, else
from the environment and the config files (``config/settings.py``), sorted into the groups of
``install/options.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pinst._core.limits import UnpackLimits
from pinst._core.link import LinkMode
from pinst.config.settings import SETTINGS, resolve
from pinst.install.options import (
    FetchOptions,
    InstallOptions,
    Invocation,
    LinkOptions,
    PlanOptions,
    RequirementOptions,
    SourceOptions,
)
from pinst.venv.target import default_venv_path


def install_options(args: argparse.Namespace) -> InstallOptions:
    """The install's options: the command line's, else the environment's and config files'."""
    given = {item.key: getattr(args, item.key.replace("-", "_"), None) for item in SETTINGS}
    settings = resolve(given, no_config=args.no_config)
    return InstallOptions(
        wanted=RequirementOptions(
            requirement_files=args.requirement,
            requirement_args=args.packages,
            constraint_files=args.constraint,
            lock_extras=args.extra,
            lock_groups=args.group,
            require_hashes=settings.flag("require-hashes"),
            max_requirements_size=int(settings.number("max-requirements-size")),
        ),
        venv=args.venv or default_venv_path(),
        python=args.python,
        cache_dir=settings.path("cache-dir") or Path(),
        sources=SourceOptions(
            index_url=settings.text("index-url"),
            extra_index_urls=settings.texts("extra-index-url"),
            find_links=settings.texts("find-links"),
            no_index=settings.flag("no-index"),
        ),
        fetch=FetchOptions(
            offline=settings.flag("offline"),
            timeout=settings.number("timeout"),
            unpack_limits=UnpackLimits(
                max_unpacked_size=int(settings.number("max-unpacked-size")),
                max_compression_ratio=int(settings.number("max-compression-ratio")),
                max_metadata_size=int(settings.number("max-metadata-size")),
            ),
            max_index_page_size=int(settings.number("max-index-page-size")),
        ),
        link=LinkOptions(
            link_mode=LinkMode(settings.text("link-mode")),
            entries_cache=settings.path("entries-cache"),
            per_filesystem_cache=settings.flag("per-filesystem-cache"),
            compile_bytecode=settings.flag("compile-bytecode"),
        ),
        planning=PlanOptions(
            reinstall=args.reinstall,
            sync=args.command == "sync",
            allow_remove_pinst=args.allow_remove_pinst,
        ),
        dry_run=args.dry_run,
        json=args.json,
        no_progress=settings.flag("no-progress"),
        invocation=Invocation(
            command_line=args.command_line,
            config_files=settings.discovery.examined,
            config_variables=settings.discovery.variables,
        ),
    )
