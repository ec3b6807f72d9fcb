"""The install's options from the parsed command line: each setting from the command line, else
from the environment and the config files (``config/settings.py``), sorted into the groups of
``install/options.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pinst._core.limits import InputLimits, UnpackLimits
from pinst._core.link import LinkMode
from pinst.config.settings import SETTINGS, resolve
from pinst.install.options import InstallOptions
from pinst.venv.target import default_venv_path


def install_options(args: argparse.Namespace) -> InstallOptions:
    """The install's options: the command line's, else the environment's and config files'."""
    given = {item.key: getattr(args, item.key.replace("-", "_"), None) for item in SETTINGS}
    settings = resolve(given, no_config=args.no_config)
    return InstallOptions(
        requirement_files=args.requirement,
        requirement_args=args.packages,
        constraint_files=args.constraint,
        venv=args.venv or default_venv_path(),
        python=args.python,
        index_url=settings.text("index-url"),
        extra_index_urls=settings.texts("extra-index-url"),
        find_links=settings.texts("find-links"),
        no_index=settings.flag("no-index"),
        offline=settings.flag("offline"),
        cache_dir=settings.path("cache-dir") or Path(),
        link_mode=LinkMode(settings.text("link-mode")),
        require_hashes=settings.flag("require-hashes"),
        reinstall=args.reinstall,
        compile_bytecode=settings.flag("compile-bytecode"),
        entries_cache=settings.path("entries-cache"),
        per_filesystem_cache=settings.flag("per-filesystem-cache"),
        command_line=args.command_line,
        timeout=settings.number("timeout"),
        unpack_limits=UnpackLimits(
            max_unpacked_size=int(settings.number("max-unpacked-size")),
            max_compression_ratio=int(settings.number("max-compression-ratio")),
            max_metadata_size=int(settings.number("max-metadata-size")),
        ),
        input_limits=InputLimits(
            max_index_page_size=int(settings.number("max-index-page-size")),
            max_requirements_size=int(settings.number("max-requirements-size")),
        ),
        config_files=settings.discovery.examined,
        config_variables=settings.discovery.variables,
        sync=args.command == "sync",
        json=args.json,
        no_progress=settings.flag("no-progress"),
        lock_extras=args.extra,
        lock_groups=args.group,
        allow_remove_pinst=args.allow_remove_pinst,
        dry_run=args.dry_run,
    )
