"""Reading the files users name and writing the files they ask for, safely.

Reading: only regular files, opened without blocking (a FIFO would otherwise hang the
command) and read through a bounded stream (``stat()`` says 0 bytes for ``/dev/zero``).
Writing: never through a symlink, never over the database or its ``-wal``/``-shm``/``-journal``
files, never over an existing file unless asked (``--force``); written beside the target and
renamed into place, so a failed write leaves the old file as it was. Outputs are created
readable by their owner only (reports and packs may hold restricted papers).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from bvflow.errors import InputError

SQLITE_COMPANIONS: Final = ("", "-wal", "-shm", "-journal")


def read_input(path: Path, what: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or an InputError naming why not."""
    _check_name(path, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{what} {path} is not a regular file")
    with os.fdopen(fd, "rb") as stream:
        try:
            data = stream.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read {what} {path}: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise InputError(f"{what} {path} is larger than {_size(max_bytes)}")
    return data


# Evidence and papers are kept in the database: a generous bound, but a bound.
MAX_PAPER_BYTES: Final = 25 * 1024 * 1024


def read_paper(path: Path, database: Path | None = None) -> tuple[str, bytes]:
    """A paper's file name (checked like any text, since it is shown) and its bytes. The
    database (``database``) and its companions are never a paper: they hold every
    confidential paper and every address, and a paper may be published or packed."""
    from bvflow import inputs

    name = inputs.text(path.name, "the file name", max_length=255)
    for held in protected_paths(database):
        if _same_file(path, held):
            raise InputError(f"{path} is the bvflow database (or one of its files), not a paper")
    content = read_input(path, "the file", MAX_PAPER_BYTES)
    if not content:
        raise InputError(f"{path} is empty; give the file that holds the paper")
    return name, content


def read_text_input(path: Path, what: str, max_bytes: int) -> str:
    """A regular file's text, which must be UTF-8 (a leading byte-order mark is dropped)."""
    data = read_input(path, what, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} {path} is not UTF-8 text (byte {exc.start + 1} is 0x{data[exc.start]:02x})"
        ) from exc


def _check_name(path: Path, what: str) -> None:
    if "\x00" in str(path):
        raise InputError(f"{what} {str(path)!r} contains a NUL character")
    if not str(path).strip() or str(path) == ".":
        raise InputError(f"{what}: no file name given")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit // 1000} kB"


def protected_paths(database: Path | None) -> list[Path]:
    """The database file and its SQLite companions: never an output."""
    if database is None:
        return []
    return [Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output(out: Path, protected: Iterable[Path], force: bool) -> None:
    """Refuse an output path that is a symlink, the database, or an existing file."""
    _check_name(out, "the output")
    try:
        _check_output(out, list(protected), force)
    except OSError as exc:  # a name too long, a folder we may not look into
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc


def _check_output(out: Path, protected: list[Path], force: bool) -> None:
    if out.is_symlink():
        raise InputError(f"{out} is a symbolic link; give the real path")
    for path in protected:
        if _same_file(out, path):
            raise InputError(f"{out} is the bvflow database (or one of its files); choose another")
    if out.exists():
        if not out.is_file():
            raise InputError(f"{out} exists and is not a regular file")
        if not force:
            raise InputError(f"{out} already exists; add --force to replace it")
    if not out.parent.is_dir():
        raise InputError(f"cannot write {out}: folder {out.parent} does not exist")


def write_output(out: Path, data: bytes, protected: Iterable[Path], force: bool = False) -> None:
    """Write ``data`` to ``out`` atomically, after ``check_output``."""
    check_output(out, list(protected), force)
    try:
        fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temp, out)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
