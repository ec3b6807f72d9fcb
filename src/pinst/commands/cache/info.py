"""``pinst cache dir`` and ``pinst cache info``: where the cache is, and what it holds."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from pinst._core.disk_usage import disk_usage, format_size, unique_file_stats
from pinst._core.filesystems import filesystem_of
from pinst.cache.contents import (
    entry_dirs,
    plural_entries,
    real_path,
    registered_or_warn,
    wheel_dirs,
)
from pinst.cache.layout import Cache, all_entry_caches
from pinst.cache.manifest import FILES_DIR
from pinst.cache.registry import VenvRecord
from pinst.output.report import Reporter

COPY_FREE_MODES = ("reflink", "symlink")  # venv files that take no space of their own


def show_dir(main: Cache) -> None:
    print(main.root)


@dataclass(frozen=True)
class CacheInfo:
    root: str
    filesystem: str
    entries: int
    size: int  # everything under the root, hard links counted once
    # Gross: what the venvs' linked files would take as copies. Net: that, less the one copy
    # of those files the cache itself holds, which is what a person means by "saved".
    saved_by_linking: int
    saved_by_linking_net: int


@dataclass(frozen=True)
class Summary:
    cache_dir: str
    caches: list[CacheInfo]
    wheels: int
    wheels_size: int
    live_venvs: int
    gone_venvs: int

    def to_json(self) -> dict[str, object]:
        return {
            "cache_dir": self.cache_dir,
            "caches": [asdict(info) for info in self.caches],
            "wheels": {"count": self.wheels, "size": self.wheels_size},
            "venvs": {"live": self.live_venvs, "gone": self.gone_venvs},
            "total": {
                "entries": sum(info.entries for info in self.caches),
                "size": sum(info.size for info in self.caches),
                "saved_by_linking": sum(info.saved_by_linking for info in self.caches),
                "saved_by_linking_net": sum(info.saved_by_linking_net for info in self.caches),
            },
        }


def show_info(main: Cache, reporter: Reporter, as_json: bool) -> None:
    summary = summarise(main, reporter)
    print(json.dumps(summary.to_json(), indent=2) if as_json else _info_text(summary))


def summarise(main: Cache, reporter: Reporter) -> Summary:
    venvs = registered_or_warn(main, reporter)
    live = [record for record in venvs if record.alive]
    wheels = wheel_dirs(main)
    return Summary(
        cache_dir=str(main.root),
        caches=[_cache_info(cache, live) for cache in all_entry_caches(main)],
        wheels=len(wheels),
        wheels_size=disk_usage(wheels).size,
        live_venvs=len(live),
        gone_venvs=len(venvs) - len(live),
    )


def _cache_info(cache: Cache, live: list[VenvRecord]) -> CacheInfo:
    sizes: dict[str, int] = {}
    hard_linked = 0  # gross: each venv's link counted
    stored_once: dict[str, int] = {}  # per entry, its hard-linked files counted once
    for entry in entry_dirs(cache):
        files = unique_file_stats(entry / FILES_DIR)
        sizes[entry.name] = sum(info.st_size for info in files)
        # Every link beyond the cache's own is a venv's file that takes no space of its own.
        hard_linked += sum((info.st_nlink - 1) * info.st_size for info in files)
        stored_once[entry.name] = sum(info.st_size for info in files if info.st_nlink > 1)
    copy_free = _copy_free_links(cache, live)
    for sha256 in copy_free:
        stored_once[sha256] = sizes.get(sha256, 0)  # the whole entry serves those venvs
    gross = hard_linked + sum(sizes.get(sha256, 0) for sha256 in copy_free)
    return CacheInfo(
        root=str(cache.root),
        filesystem=filesystem_of(cache.root).describe(),
        entries=len(sizes),
        size=disk_usage([cache.root]).size,
        saved_by_linking=gross,
        saved_by_linking_net=max(0, gross - sum(stored_once.values())),
    )


def _copy_free_links(cache: Cache, live: list[VenvRecord]) -> list[str]:
    """The entries that venvs linked by reflink or symlink: one item per venv and entry.

    A reflink or a symlink leaves no trace on the cache's file (unlike a hard link, which shows
    in its link count), so these come from the registry: the entries of each live venv whose
    record says it linked them in one of these modes.
    """
    root = real_path(cache.root)
    return [
        sha256
        for record in live
        if record.link_mode in COPY_FREE_MODES
        for entry_root, sha256 in record.entries.values()
        if real_path(entry_root) == root
    ]


def _info_text(summary: Summary) -> str:
    lines = []
    for position, info in enumerate(summary.caches):
        title = "Cache" if position == 0 else "Entries cache"
        lines.append(f"{title}: {info.root}")
        lines.append(f"  filesystem: {info.filesystem}")
        lines.append(f"  {plural_entries(info.entries)}, {format_size(info.size)} on disk")
        lines.append(f"  saved by linking: {_saving(info)}")
    lines.append(
        f"Downloaded wheels: {summary.wheels}, {format_size(summary.wheels_size)} "
        "(in the main cache)"
    )
    gone = summary.gone_venvs
    forget = f" ({gone} gone: 'pinst cache prune' forgets them)" if gone else ""
    lines.append(f"Registered venvs: {summary.live_venvs}{forget}")
    return "\n".join(lines)


def _saving(info: CacheInfo) -> str:
    """Net first, as a person reads "saved": "535.0 MiB net (670.0 MiB gross, less the
    135.0 MiB the cache keeps once)"; the gross is what the venvs' linked files would take as
    copies."""
    net = format_size(info.saved_by_linking_net)
    if info.saved_by_linking == info.saved_by_linking_net:
        return net
    gross = format_size(info.saved_by_linking)
    kept = format_size(info.saved_by_linking - info.saved_by_linking_net)
    return f"{net} net ({gross} gross, less the {kept} the cache keeps once)"
