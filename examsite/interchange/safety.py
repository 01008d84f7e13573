"""Hostile uploads refused before any parsing: size, zip bombs, `../` paths, XML entities and DTDs."""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_RATIO = 200  # a compressed member expanding more than this is a bomb, not a question bank


class RefusedFile(Exception):
    """The whole file is refused; `line` is where, when known (1 otherwise)."""

    def __init__(self, file: str, message: str, line: int = 1):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass(frozen=True)
class InputFile:
    name: str
    data: bytes


def check_size(file: InputFile, limit: int = MAX_FILE_BYTES) -> None:
    if len(file.data) > limit:
        raise RefusedFile(
            file.name, f"file is {len(file.data):,} bytes, over the {limit:,}-byte upload limit"
        )


def decode_text(file: InputFile) -> str:
    """UTF-8 (with or without BOM); spreadsheets saved by older Excel come as Windows-1252."""
    try:
        return file.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return file.data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise RefusedFile(file.name, "not a text file (neither UTF-8 nor Windows-1252)") from exc


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def unzip(file: InputFile) -> dict[str, bytes]:
    """Every member of a zip, after checking names, count and expanded sizes (never trusting the header)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
    except zipfile.BadZipFile as exc:
        raise RefusedFile(file.name, f"not a readable zip file ({exc})") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise RefusedFile(file.name, f"the package holds {len(members)} files, more than {MAX_MEMBERS}")
    out: dict[str, bytes] = {}
    total = 0
    for member in members:
        name = member.filename
        normal = posixpath.normpath(name)
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or normal.startswith("..")
            or ":" in name.split("/")[0]
        ):
            raise RefusedFile(file.name, f"package path {name!r} points outside the package")
        if member.file_size > MAX_UNZIPPED_BYTES or (
            member.compress_size
            and member.file_size / member.compress_size > MAX_RATIO
            and member.file_size > 1_000_000
        ):
            raise RefusedFile(
                file.name, f"{name} expands to {member.file_size:,} bytes: refused as a zip bomb"
            )
        with archive.open(member) as handle:
            data = handle.read(MAX_UNZIPPED_BYTES - total + 1)
        total += len(data)
        if total > MAX_UNZIPPED_BYTES:
            raise RefusedFile(
                file.name, f"the package expands past {MAX_UNZIPPED_BYTES:,} bytes: refused as a zip bomb"
            )
        out[normal] = data
    return out


class _LineTarget:
    """A TreeBuilder that remembers the source line of every element (ElementTree has no sourceline)."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[int, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):
        element = self.builder.start(tag, attrs)
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber if self.parser else 1
        return element

    def end(self, tag):
        return self.builder.end(tag)

    def data(self, data):
        self.builder.data(data)

    def close(self):
        return self.builder.close()


@dataclass
class XmlDocument:
    root: Element
    lines: dict[int, int]
    file: str

    def line(self, element: Element | None) -> int:
        return self.lines.get(id(element), 1) if element is not None else 1


def parse_xml(data: bytes, file: str) -> XmlDocument:
    """XML without DTDs or entities (no XXE, no billion laughs), with each element's line."""
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber or 1
        raise RefusedFile(
            file, f"XML with a DTD or entity declarations is refused ({type(exc).__name__})", line
        ) from exc
    except ParseError as exc:
        raise RefusedFile(file, f"not well-formed XML: {exc.msg}", exc.position[0]) from exc
    return XmlDocument(root, target.lines, file)
