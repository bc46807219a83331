"""Choose exactly the current delivery of each export and billing period from a folder.

AWS keeps earlier deliveries beside the current one: legacy CUR writes each
version of a month under ``<report>/yyyymmdd-yyyymmdd/<assemblyId>/``, and Data
Exports in "create new" mode writes one folder per execution. Reading every
data file under a path adds those versions together. So:

* **With manifests** (CUR 2.0 ``metadata/BILLING_PERIOD=YYYY-MM/<name>-Manifest.json``
  with ``exportArn``, ``executionId``, ``billingPeriod``, ``dataFiles``; legacy CUR
  ``yyyymmdd-yyyymmdd/<name>-Manifest.json`` with ``assemblyId``, ``account``,
  ``reportName``, ``billingPeriod``, ``reportKeys``), only the files the current
  manifest of each (export, billing period) lists are read; files of earlier
  deliveries are skipped with a note. A listed file that is missing is an error.
* **Without a manifest**, a billing-period folder (``BILLING_PERIOD=YYYY-MM`` or
  ``yyyymmdd-yyyymmdd``) holding data in two delivery folders is refused, naming
  both: costbot cannot tell which is current.

Each file is tagged with the export it belongs to: the manifest's export ARN
(legacy CUR: ``arn:aws:cur:us-east-1:<account>:definition/<reportName>``), or
without a manifest the folder the export lives in. The store replaces only what
that export delivered before, so exports sharing a payer account coexist.

Pure functions over names: the caller lists the files (local or S3) and reads
manifests through a callback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bot.costs.readers.common import IngestError

DATA_SUFFIXES = (".parquet", ".csv", ".gz")
MANIFEST_SUFFIX = "-manifest.json"
_PERIOD_DIR = re.compile(r"^(BILLING_PERIOD=(\d{4})-(\d{2})|(\d{4})(\d{2})01-\d{8})$")
# Files AWS writes beside the billing data that are not billing data (checked by name).
_NOT_DATA = (
    (re.compile(r"(^|/)cost_and_usage_data_status(/|\.|$)", re.I), "the CUR Athena status file"),
    (re.compile(r"-RedshiftManifest\.json$", re.I), "a Redshift manifest"),
    (re.compile(r"-(RedshiftCommands|create-table)\.sql$", re.I), "a SQL helper file"),
    (re.compile(r"(^|/)crawler-cfn\.yml$", re.I), "an Athena crawler template"),
    (re.compile(r"(^|/)(_SUCCESS|\.DS_Store)$"), "a marker file"),
    (re.compile(r"(^|/)aws-programmatic-access-test-object$"), "the S3 access test object"),
)


@dataclass(frozen=True)
class FoundFile:
    """A file under an input: its name (path or ``s3://`` URI) and version facts."""

    name: str
    version: str = ""  # the S3 ETag, or "<size>-<mtime ns>" for a local file
    modified: float = 0.0  # seconds since the epoch


@dataclass(frozen=True)
class DataFile:
    """A billing data file to read, and the delivery it belongs to."""

    name: str
    export: str
    execution: str = ""
    version: str = ""
    manifest: str = ""


@dataclass
class Selection:
    """The data files to read, and what was skipped, in words."""

    files: list[DataFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    """One delivery manifest, as far as costbot needs it."""

    name: str
    kind: str  # "CUR 2.0" or "legacy CUR"
    export: str
    period: str  # YYYY-MM
    execution: str
    keys: tuple[str, ...]
    root: str  # the export's folder: data keys are looked up beneath it
    scope: str  # the folder that holds this period's deliveries
    top_level: bool  # legacy CUR: the period folder's own manifest (the current one)
    modified: float


def not_data_reason(name: str) -> str | None:
    """Say what a known non-billing file is (status, sidecar, marker), or None."""
    for pattern, what in _NOT_DATA:
        if pattern.search(name):
            return what
    return None


def is_manifest(name: str) -> bool:
    """Tell a delivery manifest (``…-Manifest.json``, not the Redshift one) by its name."""
    lower = name.lower()
    return lower.endswith(MANIFEST_SUFFIX) and not_data_reason(name) is None


def is_data_name(name: str) -> bool:
    """Tell a possible billing data file by its name (.parquet, .csv, .csv.gz)."""
    return name.lower().endswith(DATA_SUFFIXES) and not is_manifest(name)


def _parts(name: str) -> tuple[str, str, list[str]]:
    """Split a name into (scheme prefix, bucket-or-root, path parts) with "/" separators."""
    if name.startswith("s3://"):
        bucket, _, key = name[5:].partition("/")
        return "s3://", bucket, [p for p in key.split("/") if p]
    return "", "", [p for p in PurePosixPath(name).parts]


def _join(prefix: str, bucket: str, parts: Sequence[str]) -> str:
    if prefix:
        return f"{prefix}{bucket}/" + "/".join(parts)
    if not parts:
        return ""
    first = parts[0]
    rest = list(parts[1:])
    if first == "/":
        return "/" + "/".join(rest)
    return "/".join([first, *rest])


def _period_of_dir(part: str) -> str | None:
    m = _PERIOD_DIR.match(part)
    if not m:
        return None
    year, month = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
    return f"{year}-{month}"


def parse_manifest(found: FoundFile, text: str) -> Manifest | None:
    """Read a CUR 2.0 or legacy CUR manifest (None: some other JSON by that name).

    A manifest that is not JSON raises :class:`IngestError` naming it: it may be
    half written, and guessing could read the wrong delivery.
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise IngestError(f"{found.name}: not a readable manifest ({exc})") from exc
    if not isinstance(doc, dict):
        raise IngestError(f"{found.name}: not a readable manifest (not a JSON object)")
    prefix, bucket, parts = _parts(found.name)
    folders = parts[:-1]
    start = str((doc.get("billingPeriod") or {}).get("start", ""))
    period = f"{start[0:4]}-{start[4:6]}" if re.match(r"^\d{8}T", start) else start[:7]
    if "reportKeys" in doc:
        kind = "legacy CUR"
        keys = doc.get("reportKeys") or []
        execution = str(doc.get("assemblyId", ""))
        report = str(doc.get("reportName", ""))
        account = str(doc.get("account", ""))
        export = f"arn:aws:cur:us-east-1:{account}:definition/{report}" if report else ""
        at = max((i for i, p in enumerate(folders) if _period_of_dir(p)), default=None)
        top_level = at is not None and at == len(folders) - 1
    elif "dataFiles" in doc or "exportArn" in doc:
        kind = "CUR 2.0"
        keys = doc.get("dataFiles") or []
        execution = str(doc.get("executionId", ""))
        export = str(doc.get("exportArn") or doc.get("exportName") or "")
        at = max((i for i, p in enumerate(folders) if p == "metadata"), default=None)
        top_level = True
    else:
        return None
    if at is not None and not period:
        where = at if kind == "legacy CUR" else at + 1
        period = _period_of_dir(folders[where]) or "" if where < len(folders) else ""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise IngestError(f"{found.name}: the manifest's list of data files is not a list of names")
    if not re.match(r"^\d{4}-\d{2}$", period):
        raise IngestError(f"{found.name}: the manifest names no billing period")
    root_parts = folders[:at] if at is not None else folders
    root = _join(prefix, bucket, root_parts)
    if kind == "CUR 2.0":
        scope = _join(prefix, bucket, [*root_parts, "data", f"BILLING_PERIOD={period}"])
    else:
        scope = _join(prefix, bucket, folders[: at + 1] if at is not None else folders)
    return Manifest(
        name=found.name,
        kind=kind,
        export=export or root,
        period=period,
        execution=execution,
        keys=tuple(keys),
        root=root,
        scope=scope,
        top_level=top_level,
        modified=found.modified,
    )


def _under(name: str, folder: str) -> bool:
    return bool(folder) and name.startswith(folder.rstrip("/") + "/")


def _current(manifests: list[Manifest]) -> Manifest:
    """The current delivery: legacy CUR's top-level manifest, else the newest manifest."""
    top = [m for m in manifests if m.top_level] or manifests
    return max(top, key=lambda m: (m.modified, m.execution, m.name))


def _locate(manifest: Manifest, key: str, names: set[str]) -> str | None:
    """Find a manifest's data key among the listed files, beneath the export's folder."""
    _, _, parts = _parts(key if key.startswith("s3://") else "s3://bucket/" + key)
    for i in range(len(parts)):
        candidate = manifest.root.rstrip("/") + "/" + "/".join(parts[i:])
        if candidate in names:
            return candidate
    return None


def select(found: Sequence[FoundFile], read_text: Callable[[str], str]) -> Selection:
    """Pick the data files of the current delivery per export and billing period.

    ``found`` lists every file under the inputs (names normalised: absolute local
    paths or ``s3://`` URIs); ``read_text`` returns a manifest's text.
    """
    out = Selection()
    by_name = {f.name: f for f in found}
    manifests = []
    for f in found:
        if is_manifest(f.name):
            parsed = parse_manifest(f, read_text(f.name))
            if parsed is None:
                out.notes.append(
                    f"ignored {f.name}: no reportKeys (legacy CUR) or dataFiles (CUR 2.0)"
                )
            else:
                manifests.append(parsed)
    data: list[FoundFile] = []
    for f in found:
        if is_manifest(f.name):
            continue
        reason = not_data_reason(f.name)
        if reason is not None:
            if is_data_name(f.name):
                out.notes.append(f"skipped {f.name}: {reason}, not billing data")
            continue
        if is_data_name(f.name):
            data.append(f)
    names = {f.name for f in data}
    groups: dict[tuple[str, str], list[Manifest]] = {}
    for m in manifests:
        groups.setdefault((m.export, m.period), []).append(m)
    claimed: set[str] = set()
    covered: set[str] = set()
    scopes: list[str] = []
    for (export, period), group in sorted(groups.items()):
        current = _current(group)
        for m in group:
            scopes.append(m.scope)
            for key in m.keys:
                located = _locate(m, key, names)
                if located:
                    covered.add(located)
        listed = []
        for key in current.keys:
            located = _locate(current, key, names)
            if located is None:
                raise IngestError(
                    f"{current.name} lists {key}, which is not under the input: the "
                    f"{current.kind} delivery of {period} is incomplete here. Copy the whole "
                    "export folder (or ingest from S3); the store is unchanged"
                )
            listed.append(located)
        for name in listed:
            if name in claimed:
                continue
            claimed.add(name)
            out.files.append(
                DataFile(
                    name=name,
                    export=export,
                    execution=current.execution,
                    version=by_name[name].version,
                    manifest=current.name,
                )
            )
        earlier = {m.execution for m in group if m.execution != current.execution}
        if earlier:
            out.notes.append(
                f"{export}, {period}: read the current delivery {current.execution} "
                f"({current.name}); skipped {len(earlier)} earlier "
                f"deliver{'y' if len(earlier) == 1 else 'ies'} ({', '.join(sorted(earlier))})"
            )
    stale = sorted(n for n in names - claimed if n in covered or any(_under(n, s) for s in scopes))
    if stale:
        shown = ", ".join(stale[:3]) + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")
        out.notes.append(
            f"skipped {len(stale)} file(s) of earlier deliveries no current manifest lists: {shown}"
        )
    loose = [f for f in data if f.name not in claimed and f.name not in stale]
    out.files.extend(_without_manifest(loose))
    out.files.sort(key=lambda d: d.name)
    return out


def _without_manifest(files: Sequence[FoundFile]) -> list[DataFile]:
    """Tag manifest-less files with their export folder; refuse two deliveries of one period."""
    out: list[DataFile] = []
    deliveries: dict[tuple[str, str], set[str]] = {}
    for f in files:
        prefix, bucket, parts = _parts(f.name)
        folders = parts[:-1]
        at = max((i for i, p in enumerate(folders) if _period_of_dir(p)), default=None)
        if at is None:
            out.append(DataFile(f.name, _join(prefix, bucket, folders), version=f.version))
            continue
        root_parts = folders[:at]
        if folders[at].startswith("BILLING_PERIOD=") and root_parts and root_parts[-1] == "data":
            root_parts = root_parts[:-1]
        root = _join(prefix, bucket, root_parts)
        period_dir = _join(prefix, bucket, folders[: at + 1])
        below = folders[at + 1 : at + 2]
        delivery = _join(prefix, bucket, folders[: at + 1 + len(below)])
        deliveries.setdefault((root, period_dir), set()).add(delivery)
        out.append(DataFile(f.name, root, execution=below[0] if below else "", version=f.version))
    for (_, period_dir), found in sorted(deliveries.items()):
        if len(found) > 1:
            first, second = sorted(found)[:2]
            more = f" (and {len(found) - 2} more)" if len(found) > 2 else ""
            raise IngestError(
                f"{period_dir} holds two deliveries of one billing period: {first} and "
                f"{second}{more}, and no manifest says which is current; adding them would "
                "double count. Include the export's manifest (metadata/…-Manifest.json, or "
                "the period folder's …-Manifest.json), or ingest one delivery folder; "
                "the store is unchanged"
            )
    return out
