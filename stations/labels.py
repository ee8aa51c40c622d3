"""Packaging labels (SPEC §8): the two label layouts, the activation link, and the PDF of a batch of labels.

Each label carries the Station ID, the security code, the manufacturer and article number, and a QR code
of the activation link (SPEC §6) with both filled in. Text that is too long for its label is wrapped and
shrunk, never cut: a label whose text cannot fit raises ``LabelTooFull`` instead of printing half of it,
and one with characters the embedded fonts lack raises ``LabelCharacterMissing`` instead of boxes.
"""

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .models import LabelLayoutChoice

FONT_DIR = Path(__file__).parent / "fonts"
# DejaVu: Latin with every accent, Ł, ß, Greek and Cyrillic; the mono face tells 0 from O and 1 from l.
SANS = "LabelSans"
MONO = "LabelMono"
FONT_FILES = {SANS: "DejaVuSans.ttf", MONO: "DejaVuSansMono-Bold.ttf"}

# segno evaluates all eight QR masks by default, two thirds of the time of a label. For activation links
# mask 2 is what that evaluation picks for most labels (117 of 150 sampled), and every mask decodes alike,
# so the choice is fixed: 1,000 labels take 2.7 s of CPU instead of 8 (benchmarks/bench_labels.py).
# None brings back the evaluation.
QR_MASK = 2
# Level M survives a scratched or creased label (15 % of the symbol) and keeps the modules large.
QR_ERROR = "m"
# The standard's quiet zone around the symbol, in modules.
QR_BORDER = 4


@dataclass(frozen=True)
class LabelLayout:
    """Where the labels of one layout sit on a page; lengths in millimetres from the page's top left."""

    key: str
    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    left_margin: float
    top_margin: float
    # Printing keeps this far from the label's edge: sheets are die-cut and printers feed inexactly.
    padding: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def label_box(self, index: int) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the ``index``-th label of its page, mm from the page's top left."""
        row, column = divmod(index % self.per_page, self.columns)
        return (
            self.left_margin + column * self.label_width,
            self.top_margin + row * self.label_height,
            self.label_width,
            self.label_height,
        )


# The common 70 × 37 mm A4 sheets (Avery 3475, Herma 4453…): 3 columns fill the 210 mm width edge to edge,
# 8 rows leave (297 − 8 × 37) / 2 = 0.5 mm at top and bottom.
SHEET = LabelLayout(
    key=LabelLayoutChoice.SHEET,
    name=LabelLayoutChoice.SHEET.label,
    page_width=210,
    page_height=297,
    label_width=70,
    label_height=37,
    columns=3,
    rows=8,
    left_margin=0,
    top_margin=(297 - 8 * 37) / 2,
    padding=3,
)
# 62 mm endless or die-cut tape of label printers (Brother QL, DK-11209 is 62 × 29 mm): one label a page.
ROLL = LabelLayout(
    key=LabelLayoutChoice.ROLL,
    name=LabelLayoutChoice.ROLL.label,
    page_width=62,
    page_height=29,
    label_width=62,
    label_height=29,
    columns=1,
    rows=1,
    left_margin=0,
    top_margin=0,
    padding=1.5,
)
LAYOUTS = {layout.key: layout for layout in (SHEET, ROLL)}
# Labels drawn in one request: an import's whole row limit, not a "select all" of a large tenant (3,000
# labels take about 7 s of CPU; a million would hold a worker for most of an hour).
MAX_LABELS = 5_000


def pdf_response(pdf: bytes, file_name: str) -> HttpResponse:
    """A labels PDF as a download; never cached (the codes on it are secrets)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    return response


def base_url(request) -> str:
    """Where the activation links on labels point: ``STATION_IMPORT_PUBLIC_URL``, else this request's site.

    Labels outlive the request that printed them (and may be printed from an internal address), so a
    deployment names its public address once.
    """
    return settings.STATION_IMPORT_PUBLIC_URL or request.build_absolute_uri("/")


class LabelTooFull(ValueError):
    """A label's text cannot fit even at the smallest size: refused rather than printed cut off."""

    def __init__(self, station_id: str, layout_name: str):
        super().__init__(f"The text of station {station_id} does not fit on a label ({layout_name}).")
        self.station_id = station_id


def activation_url(base_url: str, station_id: str, security_code: str) -> str:
    """The activation link of SPEC §6: the Station ID in the query, the code in the fragment.

    The fragment never reaches a server or its logs; the page's script fills the code in from it.
    Both are percent-encoded (a ``+`` in a Station ID would otherwise read as a space).
    """
    query = urlencode({"station_id": station_id})
    fragment = "code=" + quote(security_code, safe="")
    return f"{base_url.rstrip('/')}{reverse('stations:activate')}?{query}#{fragment}"


@cache
def _register_fonts() -> None:
    for name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file_name)))


class LabelCharacterMissing(ValueError):
    """A label's text has characters the embedded fonts lack: refused rather than printed as boxes."""

    def __init__(self, station_id: str, characters: str):
        super().__init__(f"The label font has no {characters!r} (station {station_id}).")
        self.station_id = station_id
        self.characters = characters


def _missing_characters(text: str, font: str) -> str:
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    return "".join(sorted({character for character in text if ord(character) not in glyphs}))


@dataclass(frozen=True)
class TextBlock:
    """One piece of a label's text and the sizes it may take, largest first."""

    text: str
    font: str
    max_size: float
    min_size: float
    caption: str = ""
    # Shrink to one line before wrapping: a Station ID broken over two lines is easily misread.
    one_line: bool = False

    def size_at(self, scale: float, width: float) -> float:
        size = self.max_size * scale
        if self.one_line:
            size = min(size, width / (pdfmetrics.stringWidth(self.text, self.font, 1) * PT))
        return max(self.min_size, size)


@dataclass(frozen=True)
class Line:
    """One line of text as drawn: baseline position in mm from the label's top left."""

    text: str
    font: str
    size: float
    x: float
    baseline: float


CAPTION_SIZE = 5.5
LINE_SPACING = 1.15
BLOCK_GAP = 0.6
PT = 25.4 / 72  # millimetres per point


def _width_mm(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size) * PT


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word longer than the line split by characters (Station IDs and codes have no spaces)."""
    pieces, current = [], ""
    for character in word:
        if current and _width_mm(current + character, font, size) > width:
            pieces.append(current)
            current = character
        else:
            current += character
    return [*pieces, current] if current else pieces


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` mm: at spaces where it can, inside words where it must."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width_mm(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _break_word(word, font, size, width)
        lines.extend(pieces[:-1])
        current = pieces[-1] if pieces else ""
    if current:
        lines.append(current)
    return lines


def _blocks(station) -> list[TextBlock]:
    blocks = [
        TextBlock(station.station_id, MONO, 13, 4.5, caption="Station ID", one_line=True),
        TextBlock(station.security_code, MONO, 11, 4.5, caption="Security code", one_line=True),
        TextBlock(station.manufacturer, SANS, 7, 3),
    ]
    if station.article_number:
        blocks.append(TextBlock(f"Art. no. {station.article_number}", SANS, 7, 3))
    return blocks


# Long text takes room from the QR code, down to this share of the label's height: its modules stay
# about 0.4 mm or more, which phone cameras read from a hand's length.
QR_MIN_SHARE = 0.6


@dataclass(frozen=True)
class LabelPlan:
    """What one label draws: the QR code's side and the lines of text, in mm from the label's top left."""

    qr_side: float
    lines: list[Line]


def _qr_sides(layout: LabelLayout):
    full = layout.label_height - 2 * layout.padding
    side = full
    while side >= full * QR_MIN_SHARE:
        yield side
        side -= 2


def _place(blocks: list[TextBlock], scale: float, left: float, width: float, top: float):
    placed, y = [], top
    for block in blocks:
        if block.caption:
            y += CAPTION_SIZE * PT
            placed.append(Line(block.caption, SANS, CAPTION_SIZE, left, y))
            y += CAPTION_SIZE * PT * (LINE_SPACING - 1)
        size = block.size_at(scale, width)
        for text in wrap(block.text, block.font, size, width):
            y += size * PT
            placed.append(Line(text, block.font, size, left, y))
            y += size * PT * (LINE_SPACING - 1)
        y += BLOCK_GAP
    return placed, y - BLOCK_GAP


def label_plan(station, layout: LabelLayout) -> LabelPlan:
    """The label's QR size and text lines: text as large as it fits beside a QR code as large as it can be.

    Every block shrinks by one common scale (each no smaller than its minimum); only when the smallest
    sizes do not fit does the QR code give up width, step by step.
    """
    _register_fonts()
    blocks = _blocks(station)
    missing = "".join(_missing_characters(block.text, block.font) for block in blocks)
    if missing:
        raise LabelCharacterMissing(station.station_id, missing)
    bottom = layout.label_height - layout.padding
    for qr_side in _qr_sides(layout):
        left = layout.padding + qr_side + 1.5
        width = layout.label_width - left - layout.padding
        for step in range(21):
            lines, end = _place(blocks, 1 - step * 0.04, left, width, layout.padding)
            if end <= bottom:
                return LabelPlan(qr_side, lines)
    raise LabelTooFull(station.station_id, layout.name)


DARK_RUN = re.compile(rb"\x01+")


def _draw_qr(canvas: Canvas, url: str, left: float, top: float, side: float, page_height: float) -> None:
    """The QR code as vector rectangles (one per run of dark modules), its quiet zone included in ``side``."""
    qr = segno.make(url, error=QR_ERROR, micro=False, mask=QR_MASK)
    module = side / qr.symbol_size(border=QR_BORDER)[0] * mm
    canvas.saveState()
    # Module units from the symbol's top left, y downwards: every coordinate below is a small integer.
    canvas.translate((left * mm) + QR_BORDER * module, (page_height - top) * mm - QR_BORDER * module)
    canvas.scale(module, -module)
    path = canvas.beginPath()
    for row_index, row in enumerate(qr.matrix):
        for run in DARK_RUN.finditer(row):
            path.rect(run.start(), row_index, run.end() - run.start(), 1)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _draw_label(canvas: Canvas, station, layout: LabelLayout, index: int, base_url: str) -> None:
    left, top, _width, _height = layout.label_box(index)
    url = activation_url(base_url, station.station_id, station.security_code)
    plan = label_plan(station, layout)
    _draw_qr(canvas, url, left + layout.padding, top + layout.padding, plan.qr_side, layout.page_height)
    for line in plan.lines:
        canvas.setFont(line.font, line.size)
        canvas.drawString((left + line.x) * mm, (layout.page_height - top - line.baseline) * mm, line.text)


def labels_pdf(stations: Iterable, layout: LabelLayout, base_url: str) -> bytes:
    """A PDF with one label per station in ``layout``, each with the activation link under ``base_url``."""
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(layout.page_width * mm, layout.page_height * mm),
        invariant=True,
        # Not Helvetica: every font in the file is one of ours, embedded.
        initialFontName=SANS,
        initialFontSize=7,
        pageCompression=1,
    )
    canvas.setTitle("Station labels")
    canvas.setCreator("station import")
    count = 0
    for count, station in enumerate(stations, start=1):
        index = count - 1
        if index and index % layout.per_page == 0:
            canvas.showPage()
        _draw_label(canvas, station, layout, index, base_url)
    if count == 0:
        raise ValueError("no stations to print labels for")
    canvas.save()
    return buffer.getvalue()
