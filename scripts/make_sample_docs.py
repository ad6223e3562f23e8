#!/usr/bin/env python3
"""Generates the sample corpus for the ocr-rag example pipeline, deterministically.

    .venv/bin/python scripts/make_sample_docs.py OUT_DIR

Writes rendered "scans" (PNG pages, some rotated a few degrees, some with speckle noise), one PDF
with a text layer (two pages) and one PDF whose only page is an image (a scanned page with no
text layer, so the pdf node must OCR it). Every page states its own checkable facts, listed in
FACTS below and in OUT_DIR/facts.json, so tests can ask a question and know which file and page
hold the answer. Nothing is downloaded: pages are drawn with a DejaVu font from the system
(Debian package fonts-dejavu-core).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),        # Debian / Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),                 # Fedora
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),                    # Arch
]

# file -> pages; each page: (title, sentences, the question a test asks, a word the answer holds).
# Topics differ from page to page so that retrieval has one right page per question.
PAGES: dict[str, list[dict]] = {
    "warehouse-notes.png": [{
        "title": "Nordlys Logistics: warehouse notes",
        "lines": ["The warehouse in Tromso opens at 07:30 on weekdays.",
                  "Forklift inspections take place every Thursday afternoon.",
                  "Pallets for the harbour are staged at loading dock 3."],
        "question": "What time does the warehouse in Tromso open?", "answer": "07:30"}],
    "invoice-4471.png": [{
        "title": "Invoice 4471",
        "lines": ["Invoice 4471 totals 1,250 EUR including VAT.",
                  "Payment is due within 30 days of the invoice date.",
                  "The invoice covers twelve replacement conveyor belts."],
        "question": "How much does invoice 4471 total?", "answer": "1,250"}],
    "lab-freezer.png": [{
        "title": "Laboratory cold storage",
        "lines": ["The lab freezer is kept at minus 80 degrees Celsius.",
                  "Sample rack B holds 96 tubes of reference serum.",
                  "The freezer alarm calls the duty technician at night."],
        "question": "At what temperature is the lab freezer kept?", "answer": "80"}],
    "remote-work-policy.png": [{
        "title": "Remote work policy",
        "lines": ["Employees may work from home two days per week.",
                  "Remote days must be agreed with the team lead in advance.",
                  "Home office equipment is reimbursed up to 300 EUR per year."],
        "question": "How many days per week may employees work from home?", "answer": "two"}],
    "staff-handbook.pdf": [
        {"title": "Staff handbook: help desk",
         "lines": ["The help desk phone number is 555-0142.",
                   "The help desk is staffed until 18:00 on weekdays.",
                   "Password resets are handled through the self-service portal."],
         "question": "What is the phone number of the help desk?", "answer": "555-0142"},
        {"title": "Staff handbook: summer picnic",
         "lines": ["The company picnic takes place on 21 June at Lakeside Park.",
                   "Parking passes for the picnic are handed out by reception.",
                   "Families of employees are welcome at the picnic."],
         "question": "Where does the company picnic take place?", "answer": "Lakeside"}],
    "generator-scan.pdf": [{
        "title": "Facilities: backup generator",
        "lines": ["The backup generator runs a self-test every Monday at 03:00.",
                  "Diesel for the generator is delivered by Petro North.",
                  "The generator room key hangs in the security office."],
        "question": "When does the backup generator run its self-test?", "answer": "Monday"}],
}

# Per PNG: rotation in degrees (counter-clockwise) and the share of pixels turned to speckle.
DISTORTION = {
    "warehouse-notes.png": (0.0, 0.0),
    "invoice-4471.png": (2.5, 0.0),
    "lab-freezer.png": (0.0, 0.01),
    "remote-work-policy.png": (-3.0, 0.008),
}

PAGE_SIZE = (1240, 1000)   # pixels: about A4 width at 150 dpi, half height (faster OCR)
SEED = 4471


def find_font() -> Path:
    for p in FONT_CANDIDATES:
        if p.exists():
            return p
    sys.exit("make_sample_docs: no DejaVuSans.ttf found; install it (Debian: apt-get install fonts-dejavu-core)")


def render_page(page: dict, font_path: Path) -> Image.Image:
    img = Image.new("L", PAGE_SIZE, 255)
    draw = ImageDraw.Draw(img)
    title_font = ImageFont.truetype(str(font_path), 44)
    body_font = ImageFont.truetype(str(font_path), 32)
    draw.text((90, 90), page["title"], font=title_font, fill=0)
    y = 200
    for line in page["lines"]:
        draw.text((90, y), line, font=body_font, fill=0)
        y += 70
    return img


def distort(img: Image.Image, degrees: float, noise: float, rng: random.Random) -> Image.Image:
    if degrees:
        # Bicubic with a white fill, like a page laid slightly askew on a scanner.
        img = img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if noise:
        px = img.load()
        w, h = img.size
        for _ in range(int(w * h * noise)):
            px[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 90, 170))
    return img


def write_text_pdf(path: Path, pages: list[dict], font_path: Path) -> None:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))   # same bytes on every run
    pdf.add_font("DejaVu", fname=str(font_path))
    for page in pages:
        pdf.add_page()
        pdf.set_font("DejaVu", size=18)
        pdf.cell(text=page["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.set_font("DejaVu", size=12)
        for line in page["lines"]:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_scanned_pdf(path: Path, image: Image.Image) -> None:
    """A PDF page that is only a picture: no text layer, as a scanner produces."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    pdf.add_page()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    pdf.image(buf, x=0, y=0, w=210)   # full page width (mm); height follows the aspect ratio
    pdf.output(str(path))


def facts() -> list[dict]:
    out = []
    for file, pages in PAGES.items():
        for number, page in enumerate(pages, start=1):
            out.append({"file": file, "page": number, "question": page["question"], "answer": page["answer"],
                        "text": " ".join(page["lines"])})
    return out


def generate(out_dir: Path) -> list[dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    font = find_font()
    rng = random.Random(SEED)
    for file, pages in PAGES.items():
        target = out_dir / file
        if file.endswith(".png"):
            degrees, noise = DISTORTION[file]
            distort(render_page(pages[0], font), degrees, noise, rng).save(target, optimize=False)
        elif file == "generator-scan.pdf":
            write_scanned_pdf(target, distort(render_page(pages[0], font), 1.5, 0.004, rng))
        else:
            write_text_pdf(target, pages, font)
    listing = facts()
    # Kept outside the corpus folder's file types the pipeline reads (.json is not ingested).
    (out_dir / "facts.json").write_text(json.dumps(listing, indent=2) + "\n")
    return listing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path, help="folder to write the sample pages into (created if missing)")
    args = ap.parse_args()
    listing = generate(args.out_dir)
    files = sorted({f["file"] for f in listing})
    print(f"wrote {len(files)} files ({len(listing)} pages) to {args.out_dir}: {', '.join(files)}")


if __name__ == "__main__":
    main()
