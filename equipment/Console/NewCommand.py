"""`equipment new NAME [--path DIR] [--force]`: a runnable project from the shipped template.

The template lives inside the package (`equipment/Template`), so creating a project needs no
network. Every check runs before anything is written, and the project is built in a staging
folder next to the target and moved into place, so a refusal or a failure leaves nothing
half-written.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
from pathlib import Path

import click

from equipment.Console.CommandError import EquipmentCommand
from equipment.Errors import EquipmentError

TEMPLATE = Path(__file__).resolve().parent.parent / "Template"
PLACEHOLDER = "{{ name }}"
#: PEP 508's distribution name.
NAME_PATTERN = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
SKIPPED = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def validate_name(name: str) -> None:
    """Refuse a name that is not a valid distribution name or could escape its folder."""
    if not name.strip():
        raise EquipmentError("the project name must not be empty")
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    if any(sep in name for sep in separators):
        raise EquipmentError(
            f"project name {name!r} contains a path separator; use --path DIR for the folder"
        )
    if ".." in name:
        raise EquipmentError(f"project name {name!r} must not contain '..'")
    if not NAME_PATTERN.match(name):
        raise EquipmentError(
            f"project name {name!r} is not a valid distribution name: use letters, digits, "
            "'.', '_' and '-', starting and ending with a letter or digit"
        )


def check_not_installed(name: str, target: Path) -> None:
    """Refuse a name that another installed distribution has: `pip install -e .` in the
    project would replace it (`equipment new equipment` would uninstall the framework).
    The project's own editable install, regenerated with --force, is not in the way."""
    from importlib import metadata

    try:
        dist = metadata.distribution(re.sub(r"[-_.]+", "-", name).lower())
    except metadata.PackageNotFoundError:
        return
    if target.as_uri() not in (dist.read_text("direct_url.json") or ""):
        raise EquipmentError(
            f"project name {name!r} is the name of a package installed here; installing the "
            "project (pip install -e .) would replace it: choose another name"
        )


def template_files(name: str) -> dict[Path, bytes]:
    """The project's files, relative path -> content, with the name filled in."""
    files: dict[Path, bytes] = {}
    for path in sorted(TEMPLATE.rglob("*")):
        relative = path.relative_to(TEMPLATE)
        if path.is_dir() or SKIPPED & set(relative.parts) or path.suffix == ".pyc":
            continue
        files[relative] = path.read_bytes().replace(PLACEHOLDER.encode(), name.encode())
    if not files:
        raise EquipmentError(f"the project template is missing ({TEMPLATE}): reinstall equipment")
    files[Path(".env")] = files[Path(".env.example")]
    return files


def check_target(target: Path, files: dict[Path, bytes], force: bool) -> None:
    """Refuse a target that is a file, or non-empty without `force`, or in the way of a file."""
    if target.exists() and not target.is_dir():
        raise EquipmentError(f"{target} exists and is not a folder")
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not force:
        raise EquipmentError(f"{target} exists and is not empty; use --force to write into it")
    for relative in files:
        for part in [*reversed(relative.parents[:-1]), relative]:
            existing = target / part
            wants_dir = part != relative
            if existing.exists() and existing.is_dir() != wants_dir:
                kind = "folder" if existing.is_dir() else "file"
                raise EquipmentError(f"{existing} is a {kind} in the way of the project's files")


def create_project(name: str, path: str | Path | None = None, force: bool = False) -> Path:
    """Create the project `name` in `path` (default: ./name); return its folder."""
    validate_name(name)
    target = _target(Path(path if path is not None else name))
    check_not_installed(name, target)
    files = template_files(name)
    try:
        check_target(target, files, force)
    except OSError as error:  # a name too long, a folder we may not look into
        raise EquipmentError(f"cannot use {target}: {error.strerror or error}") from None
    if (target / ".env").exists():
        del files[Path(".env")]  # it holds this machine's settings and secrets: keep it
    _write(target, files)
    return target


def _target(path: Path) -> Path:
    """`path` made absolute, `~` and `~user` expanded."""
    try:
        return path.expanduser().absolute()
    except RuntimeError:  # pathlib's word for an unknown user or no HOME
        raise EquipmentError(f"cannot use {path}: no home folder is known for its '~'") from None


def _write(target: Path, files: dict[Path, bytes]) -> None:
    created: list[Path] = []
    staging: Path | None = None
    try:
        created = _make_parents(target.parent)
        staging = _staging_folder(target)
        for relative, content in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_bytes(content)
        _move_into_place(staging, target, files)
    except OSError as error:
        for folder in created:
            shutil.rmtree(folder, ignore_errors=True)
        raise EquipmentError(f"could not write the project to {target}: {error}") from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _staging_folder(target: Path) -> Path:
    """A new folder beside `target` to write the project in, then renamed into place: made
    by `mkdir`, so it has the mode `mkdir` gives (the umask, a setgid parent's bit, its
    default ACL), not `mkdtemp`'s 0700; an existing (empty) target's own mode is kept."""
    for _ in range(100):
        staging = target.parent / f".{target.name}.{secrets.token_hex(4)}.new"
        try:
            staging.mkdir(mode=0o777)
        except FileExistsError:
            continue
        if target.is_dir():
            staging.chmod(stat.S_IMODE(target.stat().st_mode))
        return staging
    raise FileExistsError(f"no free name for a staging folder beside {target}")


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, outermost first.
    Nothing is left behind when one cannot be made."""
    missing = [p for p in [*reversed(folder.parents), folder] if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        for created in missing[:1]:
            shutil.rmtree(created, ignore_errors=True)
        raise
    return missing[:1]


def _move_into_place(staging: Path, target: Path, files: dict[Path, bytes]) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        staging.rename(target)  # one step: the project appears whole or not at all
        return
    for relative in files:  # --force over an existing folder: replace file by file
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target / relative)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


@click.command("new", cls=EquipmentCommand)
@click.argument("name")
@click.option(
    "--path",
    type=click.Path(path_type=Path),
    help="Folder to create the project in (default: ./NAME).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty folder: replace its template files, keep the others and .env.",
)
def new(name: str, path: Path | None, force: bool) -> None:
    """Create the project NAME from Equipment's template (offline)."""
    target = create_project(name, path, force)
    where = _shown(target)
    click.echo(f"Created {name} in {where}")
    click.echo("Next:")
    click.echo(f"  cd {where}")
    click.echo("  python -m pip install -e .")
    click.echo("  python -m pytest")
    click.echo("  python scheduler.py")
