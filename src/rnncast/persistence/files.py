"""Files of run and checkpoint directories: written atomically, read as untrusted input.

A directory is filled under a temporary sibling name and moved into place in one step, so a
reader finds the old complete directory or the new one, never a mix; a second writer to the
same destination is refused; a file to be read must be a plain file inside its directory
and never a pickle; tensors are read from safetensors only and checked against a network.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rnncast.errors import RunError

PICKLE_PROTOCOL = 0x80  # the first byte of every pickle since protocol 2
# Written into every directory rnncast makes: --overwrite replaces only a directory that
# holds it (or, from before the marker, a run's or a checkpoint's own file).
MARKER = ".rnncast"
_FORMATS = {"config.json": "rnncast-run", "checkpoint.json": "rnncast-checkpoint"}
# The names of a save's temporary directories: never a run, whatever they hold.
TEMPORARY = re.compile(r"^\..+\.(?:tmp|old)-\d+-")


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to fill; on success it replaces ``path`` whole,
    on any error it is removed and ``path`` is left as it was."""
    final = check_destination(path, overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # a run directory as any other, not mkdtemp's private 0700
    try:
        (tmp / MARKER).write_text(json.dumps({"written_by": "rnncast"}) + "\n", encoding="utf-8")
        yield tmp
        check_destination(final, overwrite)  # another writer may have finished meanwhile
        _move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def writer_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``path`` while one process trains and writes there; a
    second process asking for the same destination is refused at once."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = final.parent / f".{final.name}.lock"
    with open_lock(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"Another rnncast process is writing to {str(final)!r}; wait for it "
                "to finish or choose another --out."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            lock.unlink(missing_ok=True)


@contextlib.contextmanager
def open_lock(path: Path) -> Iterator[Any]:
    """Open (or create) a lock file without following a link planted at ``path`` and without
    truncating whatever is there: a lock never harms a file beside the user's data."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise RunError(
            f"Cannot create the lock file {str(path)!r} ({exc.strerror}); it must not be a link "
            "or a directory. Remove it or choose another --out."
        ) from None
    with os.fdopen(fd, "w") as handle:
        yield handle


def check_destination(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse a destination that is a file, a non-empty directory without ``overwrite``, or,
    even with it, a directory that rnncast did not write."""
    final = Path(path)
    if final.exists() and not final.is_dir():
        raise RunError(f"{str(final)!r} exists and is not a directory; choose another --out.")
    for parent in final.parents:
        if parent.exists() and not parent.is_dir():
            raise RunError(
                f"{str(parent)!r} is a file, so {str(final)!r} cannot be a folder inside it; "
                "choose another --out."
            )
    if not final.exists() or not any(final.iterdir()):
        return final
    if not overwrite:
        raise RunError(f"{str(final)!r} already exists; choose another --out or pass --overwrite.")
    if not is_ours(final):
        names = sorted(p.name for p in final.iterdir())
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise RunError(
            f"{str(final)!r} holds files rnncast did not write ({shown}); --overwrite replaces "
            "only an rnncast run or output. Choose another --out, or move those files away."
        )
    return final


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` is recognisably rnncast's: it holds the marker, or a run's or a
    checkpoint's own description (runs written before the marker existed)."""
    if (folder / MARKER).is_file():
        return True
    return any(json_format(folder / name) == fmt for name, fmt in _FORMATS.items())


def holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds a finished run (not a checkpoint)."""
    return json_format(folder / "config.json") == _FORMATS["config.json"]


def json_format(path: Path) -> str | None:
    """The ``format`` field of a small JSON file, or None (never more than 1 MB is read)."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 1_000_000:
            return None
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value.get("format") if isinstance(value, dict) else None


def check_not_temporary(root: Path) -> None:
    """A save's temporary directory is never read as a run, complete as it may look."""
    if TEMPORARY.match(root.name):
        raise RunError(
            f"{str(root)!r} is the temporary directory of a save that did not finish, not a "
            "run; give the run's own directory (the next save there clears it away)."
        )


def _remove_stale_siblings(final: Path) -> None:
    """Remove temporary siblings left by a writer that was killed (SIGKILL, power loss): their
    names carry the writer's process id, and a process that no longer exists writes nothing."""
    for sibling in final.parent.glob(f".{final.name}.*-*-*"):
        kind, _, rest = sibling.name[len(final.name) + 2 :].partition("-")
        pid = rest.partition("-")[0]
        if kind in ("tmp", "old") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _move_into_place(tmp: Path, final: Path) -> None:
    """Put ``tmp`` at ``final`` so that ``final`` never holds a partial state, even if this
    process is killed: one rename, or one atomic exchange of two directories on Linux."""
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):  # final is now the new state; tmp holds the old one
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = final.parent / f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(final, old)  # without renameat2: a moment with no final, the old one kept aside
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def write_text_atomic(path: str | os.PathLike, text: str, overwrite: bool = False) -> None:
    """Write a text file as :func:`write_bytes_atomic` does."""
    write_bytes_atomic(path, text.encode("utf-8"), overwrite)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, overwrite: bool = False) -> None:
    """Write a file through a temporary name in the same directory and rename it; an
    existing file is replaced only with ``overwrite``, and never a directory."""
    target = Path(path)
    if target.is_dir():
        raise RunError(f"{str(target)!r} is a directory; give a file name for --out.")
    if target.exists() and not target.is_file():  # a device or pipe is never replaced
        raise RunError(f"{str(target)!r} is not a regular file; give a file name for --out.")
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise RunError(f"{str(target)!r} already exists; choose another --out or pass --overwrite.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, allow_nan=False) + "\n", encoding="utf-8")


MAX_JSON_BYTES = 256 * 2**20  # far above any file rnncast writes


def read_json(path: Path) -> Any:
    """A JSON file of a run, refused when too large or too deeply nested to be ours."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise RunError(f"{str(path)!r} is larger than any file rnncast writes; refusing it.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{str(path)!r} is not valid JSON ({exc}); the run is damaged.") from None
    except RecursionError:
        raise RunError(f"{str(path)!r} is nested deeper than any file rnncast writes.") from None


def check_plain_file(root: Path, name: str, required: bool) -> None:
    """A file that must be a plain file inside ``root``: no symlink out, no pickle inside."""
    path = root / name
    if not path.exists() and not path.is_symlink():
        if required:
            raise RunError(f"{str(root)!r} has no {name}; it is not a complete rnncast run.")
        return
    if path.is_symlink() and root.resolve() not in path.resolve().parents:
        raise RunError(
            f"{name} in {str(root)!r} is a link to a file outside the run directory; "
            "refusing to read it."
        )
    if not path.is_file():
        raise RunError(f"{name} in {str(root)!r} is not a plain file.")
    with open(path, "rb") as fh:
        head = fh.read(9)
    if looks_like_pickle(head, safetensors=name.endswith(".safetensors")):
        raise RunError(
            f"{name} in {str(root)!r} holds pickle data; rnncast never loads pickles "
            "(runs are JSON, CSV and safetensors)."
        )


def looks_like_pickle(head: bytes, safetensors: bool) -> bool:
    """Pickles since protocol 2 open with 0x80 and the protocol number. A safetensors file
    opens with its header's length (8 bytes, little-endian) and then '{', so a length whose
    first byte happens to be 0x80 is told apart by that brace."""
    starts = len(head) >= 2 and head[0] == PICKLE_PROTOCOL and 2 <= head[1] <= 5
    if safetensors:
        return starts and head[8:9] != b"{"
    return starts


def save_tensors(tensors: dict, path: Path) -> None:
    """Write tensors as safetensors; a refused write (disk full, file too large) is a
    RunError naming the file, like any other failed write."""
    from safetensors import SafetensorError  # safetensors.torch would load PyTorch here
    from safetensors.torch import save_file

    try:
        save_file(tensors, str(path))
    except SafetensorError as exc:
        raise RunError(f"Cannot write {str(path)!r}: {exc}.") from None


def read_tensors(path: Path) -> dict:
    """A safetensors file's tensors (never a pickle), or a RunError saying it is unreadable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise RunError(f"{str(path)!r} is not a readable safetensors file ({exc}).") from None


def check_weights(tensors: dict, expected: dict, where: str) -> None:
    """Names, shapes and types of ``tensors`` must be those of a network's state dict."""
    if set(tensors) != set(expected):
        extra = sorted(set(tensors) ^ set(expected))[0]
        raise RunError(f"Weights in {where} do not match the network (tensor {extra!r}).")
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape or tensor.dtype != expected[name].dtype:
            raise RunError(f"Tensor {name!r} in {where} has the wrong shape or type.")
        if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
            raise RunError(
                f"Tensor {name!r} in {where} holds NaN or infinite values; it would forecast "
                "garbage. The run is damaged."
            )
