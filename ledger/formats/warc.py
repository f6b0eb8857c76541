"""Web captures as sources: WARC and WACZ in, and `ledger source fetch`.

A capture records the HTTP exchange, not only the page: the request, the
response's status and headers, when the crawler received it (``WARC-Date``)
and digests of the record and payload that anyone can re-check. ``ledger
source add capture.warc.gz`` (or ``.warc``, ``.wacz``) reads one with warcio,
checks every record's digests as ``warcio check`` does (and, in a WACZ, the
sha256 of every file its ``datapackage.json`` lists), picks the page's
response (the ``--url`` given, else the first HTML or plain-text 2xx
response) and adds its body as a source like a saved page (ledger/html.py):
the extracted text, the page as its snapshot, and the capture file itself
kept beside them. The exchange goes in the ``captures`` table.

``ledger source fetch URL`` fetches a page and records its own WARC of the
exchange (warcio's ``capture_http``), then adds it the same way. A capture of
a URL the ledger already holds with a different text is the next revision of
that source, and the lines that changed are reported.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


from ledger.core.errors import InvalidSource
from ledger.core.ids import sha256_hex

SUFFIXES = (".warc", ".warc.gz", ".wacz")
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
MAX_FETCH_BYTES = 50 * 1024 * 1024
FETCH_TIMEOUT = 30


def is_capture(path: str | Path) -> bool:
    return str(path).lower().endswith(SUFFIXES)


@dataclass
class Capture:
    """The page's response in a capture, and what checking the capture found."""

    target_uri: str
    warc_date: str
    http_status: int | None
    http_headers: list[list[str]]
    content_type: str
    payload: bytes
    record_id: str | None
    payload_digest: str | None
    block_digest: str | None
    digests_checked: int
    request_headers: list[list[str]] | None = None
    container: str = "warc"
    warc_sha256: str = ""
    uris: list[str] = field(default_factory=list)

    @property
    def server_date(self) -> str | None:
        return next((v for k, v in self.http_headers if k.lower() == "date"), None)

    def row(self, source_id: str, warc_path: str | None) -> dict:
        return {
            "source_id": source_id,
            "warc_sha256": self.warc_sha256,
            "warc_path": warc_path,
            "container": self.container,
            "record_id": self.record_id,
            "target_uri": self.target_uri,
            "warc_date": self.warc_date,
            "server_date": self.server_date,
            "http_status": self.http_status,
            "http_headers": json.dumps(self.http_headers, ensure_ascii=False),
            "request_headers": None if self.request_headers is None else json.dumps(self.request_headers, ensure_ascii=False),
            "payload_digest": self.payload_digest,
            "block_digest": self.block_digest,
            "payload_sha256": sha256_hex(self.payload),
            "digests_checked": self.digests_checked,
        }


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def read_warc(data: bytes, where: str, url: str | None = None) -> Capture:
    """The page's response in WARC bytes (gzipped or not), every record's
    digests checked as ``warcio check`` checks them; InvalidSource names the
    file, the record and the problem."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    found: Capture | None = None
    requests: dict[str, list[list[str]]] = {}
    uris: list[str] = []
    checked, problems = 0, []
    try:
        it = ArchiveIterator(io.BytesIO(data), check_digests=True)
        for record in it:
            rtype = record.rec_type
            rid = record.rec_headers.get_header("WARC-Record-ID")
            uri = record.rec_headers.get_header("WARC-Target-URI")
            body = record.content_stream().read()
            offset = it.get_record_offset()  # after the read, as warcio check does: before it, it consumes the stream
            passed = record.digest_checker.passed
            if passed is False:
                problems.append(f"{where}: record at offset {offset} ({rid}, {rtype}): " + "; ".join(
                    str(p) for p in record.digest_checker.problems))
            elif passed is True:
                checked += 1
            if rtype == "request" and uri and record.http_headers:
                requests[uri] = [[k, v] for k, v in record.http_headers.headers]
            if rtype != "response" or not record.http_headers:
                continue
            uris.append(uri)
            status = record.http_headers.get_statuscode()
            ctype = _media_type(record.http_headers.get_header("Content-Type"))
            wanted = uri == url if url else (ctype in PAGE_TYPES and str(status).startswith("2"))
            if found is None and wanted:
                found = Capture(
                    target_uri=uri,
                    warc_date=record.rec_headers.get_header("WARC-Date"),
                    http_status=int(status) if status and status.isdigit() else None,
                    http_headers=[[k, v] for k, v in record.http_headers.headers],
                    content_type=ctype,
                    payload=body,
                    record_id=rid,
                    payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
                    block_digest=record.rec_headers.get_header("WARC-Block-Digest"),
                    digests_checked=0,
                )
    except ArchiveLoadFailed as e:
        raise InvalidSource(f"{where}: not a readable WARC file: {str(e).strip()}") from None
    if problems:
        raise InvalidSource(
            "\n".join(problems) + f"\n{where}: the capture fails `warcio check`: a record's bytes are not the ones "
            "its digest was made from (the file was changed or damaged); nothing was written"
        )
    if found is None:
        if url:
            raise InvalidSource(
                f"{where}: no response for {url!r} in this capture; it holds responses for: "
                + (", ".join(uris[:10]) or "none")
            )
        raise InvalidSource(
            f"{where}: no HTML or plain-text response with a 2xx status in this capture "
            f"(responses: {', '.join(uris[:10]) or 'none'}); give --url to choose one"
        )
    found.digests_checked = checked
    found.request_headers = requests.get(found.target_uri)
    found.uris = uris
    return found


def read_wacz(data: bytes, where: str, url: str | None = None) -> Capture:
    """The page's response in a WACZ (a zip of WARCs with a datapackage.json
    listing each file's sha256): every listed file's hash is checked, then its
    WARCs are read like any WARC."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidSource(f"{where}: not a WACZ file (it is not a zip archive)") from None
    with zf:
        names = set(zf.namelist())
        if "datapackage.json" not in names:
            raise InvalidSource(f"{where}: not a WACZ file: no datapackage.json in the archive")
        try:
            package = json.loads(zf.read("datapackage.json"))
        except ValueError as e:
            raise InvalidSource(f"{where}: datapackage.json is not valid JSON: {e}") from None
        for res in package.get("resources", []):
            path, expected = res.get("path"), res.get("hash", "")
            if path not in names:
                raise InvalidSource(f"{where}: datapackage.json lists {path!r}, which the archive does not hold")
            algo, _, digest = expected.partition(":")
            if algo == "sha256":
                actual = sha256_hex(zf.read(path))
                if actual != digest:
                    raise InvalidSource(
                        f"{where}: {path} hashes to sha256:{actual[:12]}…, not the sha256:{digest[:12]}… its "
                        "datapackage.json records: the archive was changed or damaged; nothing was written"
                    )
        warcs = sorted(n for n in names if n.startswith("archive/") and n.lower().endswith((".warc", ".warc.gz")))
        if not warcs:
            raise InvalidSource(f"{where}: the WACZ holds no WARC files under archive/")
        if url is None:
            url = _main_page(zf, names)
        errors = []
        for name in warcs:
            try:
                cap = read_warc(zf.read(name), f"{where}!{name}", url)
            except InvalidSource as e:
                errors.append(str(e))
                continue
            cap.container = "wacz"
            return cap
        raise InvalidSource("\n".join(errors))


def _main_page(zf: zipfile.ZipFile, names: set) -> str | None:
    """The first page pages/pages.jsonl lists (its first line is a header)."""
    if "pages/pages.jsonl" not in names:
        return None
    for line in zf.read("pages/pages.jsonl").decode("utf-8", "replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            return entry["url"]
    return None


def read_capture(path: str | Path, url: str | None = None) -> tuple[Capture, bytes]:
    path = Path(path)
    data = path.read_bytes()
    reader = read_wacz if str(path).lower().endswith(".wacz") else read_warc
    cap = reader(data, str(path), url)
    cap.warc_sha256 = sha256_hex(data)
    return cap, data


def capture_suffix(path: str | Path) -> str:
    name = str(path).lower()
    return next(s for s in sorted(SUFFIXES, key=len, reverse=True) if name.endswith(s))


def fetch(url: str, warc_path: str | Path) -> None:
    """Fetch ``url`` once, recording the request and response in a gzipped
    WARC at ``warc_path`` (warcio's capture_http). Redirects are not followed:
    the capture is of the URL asked for."""
    from warcio.capture_http import capture_http

    if not url.startswith(("http://", "https://")):
        raise InvalidSource(f"{url!r}: only http and https URLs can be fetched")

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, headers={"User-Agent": "provenance-ledger (source fetch)"})
    with capture_http(str(warc_path), gzip=True):
        try:
            with opener.open(request, timeout=FETCH_TIMEOUT) as response:
                if response.read(MAX_FETCH_BYTES + 1).__len__() > MAX_FETCH_BYTES:
                    raise InvalidSource(f"{url}: the response is larger than {MAX_FETCH_BYTES} bytes")
        except urllib.error.HTTPError as e:
            e.read()
            e.close()  # recorded all the same: the capture says what the server answered
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise InvalidSource(f"{url}: could not fetch it: {reason}") from None
