"""Writing outputs safely: never over an input, never half a file.

``check log.csv --html log.csv`` once replaced the log with its own report, and a run
killed while writing left a truncated report that looked whole. Every output path is
first compared with every input and every other output (after symlinks, ``..`` and hard
links), and every output is written to a temporary file in its own folder, then renamed
into place, so a reader sees the old file or the new one, never a part.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from .errors import GovcheckError, SourceLocation
from .i18n import translate as _


def check_outputs(outputs: Mapping[str, str | Path | None], inputs: Iterable[str | Path]) -> None:
    """Refuse (exit 2) an output that is an input, or the same file as another output.
    ``outputs`` maps the option that names it (``--html``) to the path."""
    given = [(option, Path(p)) for option, p in outputs.items() if p is not None]
    sources = [Path(p) for p in inputs if p is not None and str(p) != "-"]
    for i, (option, path) in enumerate(given):
        for source in sources:
            if _same(path, source):
                raise GovcheckError(_("{option} {path} is the input {source}: it would be "
                                      "overwritten; write the output elsewhere").format(
                                          option=option, path=path, source=source),
                                    SourceLocation(str(path)))
        for other_option, other in given[i + 1:]:
            if _same(path, other):
                raise GovcheckError(_("{option} and {other} name the same file").format(
                    option=option, other=other_option), SourceLocation(str(path)))


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only when the block ends without an error."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise GovcheckError(_("cannot write {target}: the folder {folder} does not exist").format(
            target=target, folder=folder), SourceLocation(str(target)))
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise GovcheckError(_("cannot write in {folder}: {reason}").format(
            folder=folder, reason=exc.strerror), SourceLocation(str(target))) from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except OSError as exc:
        raise GovcheckError(_("cannot write {target}: {reason}").format(
            target=target, reason=exc.strerror), SourceLocation(str(target))) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole, or leave what was there."""
    with atomic_writer(path) as out:
        out.write(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
