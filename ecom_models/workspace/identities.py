"""The merchant's own customer ids, kept beside the workspace in an encrypted key.

Intake stores customer ids as salted pseudonyms (ecom_models.intake.pii), so the workspace
file holds no raw identifier and the models work on pseudonyms. The merchant still needs
their own ids on their own machine (to look a customer up in the shop, e-mail them, join a
list back to a CRM): this key maps each pseudonym to the original id, plus the e-mail, name
and phone where the file had them.

Files, beside `<name>.duckdb`:
- `<name>.identities`: the key, zlib-compressed JSON encrypted with Fernet (cryptography),
  so a byte scan of either file finds no e-mail, phone or e-mail-like id.
- `<name>.identities.secret`: the Fernet secret, mode 0600 (readable by the merchant's user only).

Both are written to a temporary file and renamed into place, so a process killed half-way
leaves the previous key whole. A workspace export leaves them out unless asked
(`embed_in_export`); an import puts an embedded key back beside the new workspace
(`adopt_from_import`) and removes it from the workspace file.
"""

from __future__ import annotations

import json
import os
import uuid
import zlib
from pathlib import Path

import pandas as pd

FIELDS = ("customer_id", "email", "name", "phone")
SETTINGS = "identities"  # workspace namespace: the hide switch
EXPORT_NS = "identities.export"  # in an export made with identities only: {"secret", "token"}
_PRIVACY = "privacy"  # intake.save's namespace holding the pseudonyms' salt

_cache: dict[str, tuple[tuple, dict]] = {}


def key_path(ws) -> Path:
    return ws.folder / f"{ws.name}.identities"


def secret_path(ws) -> Path:
    return ws.folder / f"{ws.name}.identities.secret"


def _fernet_of(secret: bytes):
    from cryptography.fernet import Fernet

    return Fernet(secret)


def _write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write to a temporary file (mode 600), flush it to disk, then rename it into place.
    `exclusive`: never replace an existing file (the secret: replacing it would lose the key)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if another process made the secret first
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _secret(ws, create: bool) -> bytes | None:
    path = secret_path(ws)
    if path.exists():
        return path.read_bytes().strip()
    if not create:
        return None
    from cryptography.fernet import Fernet

    try:
        _write_atomic(path, Fernet.generate_key(), exclusive=True)
    except FileExistsError:
        pass
    return path.read_bytes().strip()


def _decode(token: bytes, secret: bytes) -> pd.DataFrame:
    doc = json.loads(zlib.decompress(_fernet_of(secret).decrypt(token)).decode("utf-8"))
    frame = pd.DataFrame({c: doc[c] for c in FIELDS if c in doc}, dtype="object",
                         index=pd.Index(doc["pseudonym"], dtype="object", name="pseudonym"))
    return frame.reindex(columns=list(FIELDS))


def _encode(frame: pd.DataFrame, secret: bytes) -> bytes:
    # columnar: one list per field, so 100,000 customers encode and decode in a fraction of a second
    doc = {"v": 2, "pseudonym": frame.index.tolist()}
    doc.update({c: frame[c].astype("object").where(frame[c].notna(), None).tolist() for c in FIELDS})
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return _fernet_of(secret).encrypt(zlib.compress(raw.encode("utf-8"), 6))


def _read_frame(ws) -> pd.DataFrame | None:
    """The key as a frame indexed by pseudonym (columns FIELDS), or None when there is none or it
    cannot be read (no secret, another secret, damaged). Cached until the files change."""
    path, spath = key_path(ws), secret_path(ws)
    try:
        stamp = (path.stat().st_mtime_ns, path.stat().st_size, spath.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    hit = _cache.get(str(path))
    if hit and hit[0] == stamp:
        return hit[1]
    from cryptography.fernet import InvalidToken

    try:
        frame = _decode(path.read_bytes(), spath.read_bytes().strip())
    except (InvalidToken, ValueError, KeyError, TypeError, zlib.error):
        return None
    _cache[str(path)] = (stamp, frame)
    return frame


def _cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype("object").apply(lambda s: s.map(_clean))
    return out


def _clean(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def save_identities(ws, mapping: pd.DataFrame) -> int:
    """Merge `mapping` (columns `pseudonym`, `customer_id` and any of `email`, `name`, `phone`)
    into the workspace's key; returns how many pseudonyms the key holds. Later uploads add
    to earlier ones (same salt, same pseudonym); a value the new file lacks is kept."""
    if mapping is None or mapping.empty or "pseudonym" not in mapping.columns:
        old = _read_frame(ws)
        return 0 if old is None else len(old)
    new = _cleaned(mapping[["pseudonym"] + [c for c in FIELDS if c in mapping.columns]])
    new = new.dropna(subset=["pseudonym"]).drop_duplicates("pseudonym", keep="last").set_index("pseudonym")
    new = new.reindex(columns=list(FIELDS))
    with ws._gate.connection():  # the workspace's lock: two saves merge one after the other
        secret = _secret(ws, create=True)
        old = _read_frame(ws) if key_path(ws).exists() else None
        if old is None or old.empty:
            merged = new
        else:
            merged = new.combine_first(old).reindex(columns=list(FIELDS)).astype("object")
            unchanged = merged.reindex(old.index)
            if len(merged) == len(old) and unchanged.fillna("\x00").equals(old.fillna("\x00")):
                return len(old)
        merged = merged.astype("object").where(merged.notna(), None)
        _write_atomic(key_path(ws), _encode(merged, secret))
    return len(merged)


def load_identities(ws) -> dict | None:
    """{pseudonym: {"customer_id", "email", "name", "phone" where known}}, or None without a usable key."""
    frame = _read_frame(ws)
    if frame is None:
        return None
    cols = list(frame.columns)
    return {p: {c: v for c, v in zip(cols, row) if v is not None and not (isinstance(v, float) and pd.isna(v))}
            for p, row in zip(frame.index, frame.itertuples(index=False, name=None))}


def load_frame(ws) -> pd.DataFrame | None:
    """The key as a frame indexed by pseudonym (columns customer_id, email, name, phone)."""
    return _read_frame(ws)


def status(ws) -> str:
    """'ok' (a key is there), 'none' (no customer ids saved yet) or 'missing' (customers are
    stored as pseudonyms but their key is not here: imported without it, or unreadable)."""
    if _read_frame(ws) is not None:
        return "ok"
    if key_path(ws).exists() or ws.get(_PRIVACY, "salt"):
        return "missing" if key_path(ws).exists() or _has_customers(ws) else "none"
    return "none"


def _has_customers(ws) -> bool:
    return any(d.kind in ("orders", "support", "reviews") for d in ws.datasets())


MISSING_NOTE = ("Customers show as pseudonyms: this workspace has no key to your own customer ids "
                "(it was imported without it). Upload the orders again to see your ids.")


def reveal(ws, values: pd.Series, field: str = "customer_id") -> pd.Series:
    """The merchant's own ids (or `field`: email, name, phone) for pseudonyms; values the key
    does not know (or without a key) come back unchanged (other fields: missing)."""
    return reveal_with(_read_frame(ws), values, field)


def reveal_with(key, values: pd.Series, field: str = "customer_id") -> pd.Series:
    """`reveal` with a key already loaded (`load_frame`, or `load_identities`' dict)."""
    if key is None or len(key) == 0 or values is None or len(values) == 0:
        return values
    if isinstance(key, dict):
        lookup = pd.Series({p: r.get(field) for p, r in key.items()}, dtype="object")
    else:
        lookup = key[field]
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return values
    found = pd.Series(uniques, dtype="object").map(lookup).to_numpy(dtype=object)
    out = pd.Series(found[codes.clip(min=0)], index=values.index, dtype="object")
    missing = (codes < 0) | pd.isna(out).to_numpy()
    if field == "customer_id":
        out[missing] = values[missing]
    else:
        out[codes < 0] = None
    return out


def get_hide_identities(ws) -> bool:
    return bool(ws.get(SETTINGS, "hide", False))


def set_hide_identities(ws, hide: bool) -> None:
    ws.put(SETTINGS, "hide", bool(hide))


def embed_in_export(ws, export_path: Path) -> bool:
    """Put the key and its secret into an exported copy of the workspace (`--with-identities`).
    False when there is no key to put."""
    if _read_frame(ws) is None:
        return False
    import duckdb

    doc = {"secret": secret_path(ws).read_bytes().strip().decode("ascii"),
           "token": key_path(ws).read_bytes().decode("ascii")}
    con = duckdb.connect(str(export_path))
    try:
        con.execute("DELETE FROM kv WHERE namespace = ?", [EXPORT_NS])
        con.execute("INSERT INTO kv VALUES (?, 'key', ?, '')", [EXPORT_NS, json.dumps(doc)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return True


def take_from_import(db_path: Path) -> dict | None:
    """The key embedded in an exported workspace file, removed from it (the file is rewritten
    without it, so no trace of the secret stays in the workspace); None if there is none."""
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        rows = con.execute("SELECT value FROM kv WHERE namespace = ?", [EXPORT_NS]).fetchall()
        if not rows:
            return None
        con.execute("DELETE FROM kv WHERE namespace = ?", [EXPORT_NS])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    # Deleted rows may linger in free blocks: copy the database into a fresh file.
    fresh = db_path.with_name(db_path.name + ".fresh")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{db_path.as_posix()}' AS src (READ_ONLY)")
        con.execute(f"ATTACH '{fresh.as_posix()}' AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH src")
        con.execute("DETACH dst")
    finally:
        con.close()
    os.replace(fresh, db_path)
    return json.loads(rows[0][0])


def adopt_from_import(ws, doc: dict | None) -> bool:
    """Place a key taken from an import beside the new workspace; True if it can be read."""
    for path in (key_path(ws), secret_path(ws)):
        path.unlink(missing_ok=True)  # a key left by an earlier workspace of this name
    if not doc:
        return False
    _write_atomic(secret_path(ws), doc["secret"].encode("ascii"), exclusive=True)
    _write_atomic(key_path(ws), doc["token"].encode("ascii"))
    return _read_frame(ws) is not None


def remove_files(folder: Path, name: str) -> None:
    for suffix in (".identities", ".identities.secret"):
        (folder / f"{name}{suffix}").unlink(missing_ok=True)
