"""Demo pictures: drawn with Pillow from a seed (no downloads), stored as media like uploads.

A few dozen are made and shared across the demo articles, and their renditions are made on
first request, so `khabar demo load` stays fast. Measured for 200 articles on a 2-core machine
under a load average of about 20: 8.8 s, against 5.4 s without pictures (drawing the 24 takes
1.5 s of it there; a tenth of that on an idle machine)."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import datetime
from typing import Any

from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from app.media import renditions
from app.media.images import stored_of
from app.media.intake import Master
from app.media.models import Media
from app.media.service import version_of
from app.media.storage import get_store

DEMO_IMAGES = 24
SIZE = (1280, 720)
PALETTE = [(192, 57, 43), (41, 128, 185), (39, 174, 96), (142, 68, 173), (243, 156, 18),
           (22, 160, 133), (44, 62, 80), (211, 84, 0), (127, 140, 141), (52, 73, 94)]
CAPTIONS = ["Morning light over the valley", "The market before the rains",
            "Delegates arrive for the talks", "A new bridge over the river",
            "Students on the first day of term", "Rice terraces after the harvest",
            "Evening traffic in the capital", "Fans at the national stadium"]


def demo_id(index: int) -> str:
    return hashlib.sha256(f"khabar-demo-image-{index}".encode()).hexdigest()[:32]


def draw(index: int) -> bytes:
    """Picture `index`: a two-colour gradient sky, hills, a sun and a few shapes; a JPEG."""
    rng = random.Random(index)
    top, bottom = rng.sample(PALETTE, 2)
    w, h = SIZE
    im = Image.new("RGB", SIZE)
    pen = ImageDraw.Draw(im)
    for y in range(0, h, 4):
        t = y / h
        pen.rectangle((0, y, w, y + 3), fill=tuple(round(a + (b - a) * t)
                                                    for a, b in zip(top, bottom, strict=True)))
    sun = (rng.randrange(w // 8, w - w // 8), rng.randrange(h // 8, h // 2))
    radius = rng.randrange(50, 120)
    pen.ellipse((sun[0] - radius, sun[1] - radius, sun[0] + radius, sun[1] + radius),
                fill=(250, 230, 160))
    for layer in range(3):
        shade = tuple(max(0, c - 40 * (layer + 1)) for c in bottom)
        base = h * (0.55 + 0.15 * layer)
        points = [(0, h)] + [(x, base - rng.randrange(0, h // 5))
                             for x in range(0, w + 200, 200)] + [(w, h)]
        pen.polygon(points, fill=shade)
    for _ in range(rng.randrange(2, 6)):
        x, y = rng.randrange(w), rng.randrange(h // 2, h)
        size = rng.randrange(20, 60)
        pen.rectangle((x, y - size * 2, x + size, y), fill=rng.choice(PALETTE))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def ensure_demo_images(session: Session, now: datetime,
                       count: int = DEMO_IMAGES) -> list[dict[str, Any]]:
    """The demo pictures as articles store them, made and stored the first time only."""
    ids = [demo_id(i) for i in range(count)]
    found = {m.id: m for m in session.exec(select(Media).where(col(Media.id).in_(ids))).all()}
    store = get_store()
    out = []
    for index, media_id in enumerate(ids):
        media = found.get(media_id)
        if media is None:
            # Drawn here, so already clean: stored as drawn, without a decode and re-encode.
            data = draw(index)
            master = Master(data=data, fmt="jpeg", width=SIZE[0], height=SIZE[1],
                            has_alpha=False, source_type="image/jpeg",
                            content_hash=hashlib.sha256(data).hexdigest())
            renditions.save_master(store, media_id, master)
            focal = (0.5, 0.4)
            media = Media(id=media_id, version=version_of(master.content_hash, *focal),
                          content_hash=master.content_hash, source_type=master.source_type,
                          master_format=master.fmt, width=master.width, height=master.height,
                          size_bytes=len(master.data), has_alpha=master.has_alpha,
                          alt=f"Demo picture {index + 1}: hills under a coloured sky",
                          caption=CAPTIONS[index % len(CAPTIONS)], credit="Khabar demo",
                          focal_x=focal[0], focal_y=focal[1], created_at=now, updated_at=now)
            session.add(media)
        out.append(stored_of(media))
    session.commit()
    return out
