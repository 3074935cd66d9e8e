"""`khabar import wordpress` on a synthetic export: import rate, peak memory, rerun time.

    python -m bench.wordpress [--db sqlite|postgres] [--posts 10000] [--keep FILE.xml]

Writes a deterministic WXR 1.2 file of POSTS posts (block-editor and classic content of about
3 KB, captions, galleries, embeds, 1-4 categories, 0-6 tags, 5 authors, a featured image on a
third, some drafts, scheduled, private and trashed posts, and one attachment per featured
image), imports it into a new database with the command an operator runs, then imports it
again unchanged. Reports posts/s (the command's own timing, so start-up is left out), wall
time, the importing process's peak RSS (`wait4`), and the rerun time. Results also go to
bench/results/<date>-wordpress-<db>-<posts>.json.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WORDS = ["kathmandu", "budget", "monsoon", "election", "hydropower", "school", "court",
         "tourism", "river", "road", "minister", "council", "market", "festival", "cricket",
         "health", "farmers", "province", "district", "reform", "सरकार", "बजेट", "विकास",
         "नेपाल", "समाचार"]
CATEGORIES = [("news", "News"), ("politics", "Politics"), ("business", "Business"),
              ("sports", "Sports"), ("opinion", "Opinion"), ("world", "World"),
              ("%e0%a4%b8%e0%a4%ae%e0%a4%be%e0%a4%9a%e0%a4%be%e0%a4%b0", "समाचार")]
AUTHORS = [(f"writer{n}", f"Writer Number {n}") for n in range(5)]
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Synthetic News</title><link>https://news.example.com</link>
<description>A synthetic export</description><language>en-US</language>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://news.example.com</wp:base_site_url>
<wp:base_blog_url>https://news.example.com</wp:base_blog_url>
"""


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _content(rng: random.Random, post_id: int, blocks: bool) -> str:
    paragraphs = [" ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(3))
                  for _ in range(rng.randint(4, 8))]
    image = (f'[caption id="attachment_{post_id}" align="alignnone" width="800"]'
             f'<img src="https://news.example.com/wp-content/uploads/2020/01/p{post_id}.jpg" '
             f'alt="Photo {post_id}" width="800" height="533" /> A caption for {post_id}'
             "[/caption]")
    if blocks:
        parts = [f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs]
        parts.insert(2, '<!-- wp:heading -->\n<h2 class="wp-block-heading">A heading</h2>\n'
                        "<!-- /wp:heading -->")
        parts.insert(3, '<!-- wp:embed {"url":"https://www.youtube.com/watch?v=x' + str(post_id)
                     + '","type":"video"} -->\n<figure class="wp-block-embed"><div>'
                     "https://www.youtube.com/watch?v=x</div></figure>\n<!-- /wp:embed -->")
        parts.append(f"<!-- wp:list -->\n<ul><li>{_sentence(rng, 5)}</li>"
                     f"<li>{_sentence(rng, 6)}</li></ul>\n<!-- /wp:list -->")
        return "\n\n".join(parts)
    paragraphs.insert(1, image)
    paragraphs.append("<blockquote>" + _sentence(rng, 12) + "</blockquote>")
    return "\n\n".join(paragraphs)


def _item(out: IO[str], rng: random.Random, post_id: int, start: datetime) -> int | None:
    """Writes one post (and its featured image's attachment); the attachment id, if any."""
    date = start + timedelta(minutes=37 * post_id)
    local = date + timedelta(hours=5, minutes=45)
    roll = rng.random()
    status = ("draft" if roll < 0.03 else "future" if roll < 0.04 else "private" if roll < 0.05
              else "trash" if roll < 0.06 else "publish")
    if status == "future":
        date = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=post_id)
        local = date + timedelta(hours=5, minutes=45)
    title = _sentence(rng, rng.randint(4, 10)).rstrip(".")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "post"
    slug = f"{slug}-{post_id}"
    cats = rng.sample(CATEGORIES, rng.randint(1, 4))
    tags = rng.sample(WORDS, rng.randint(0, 6))
    login = rng.choice(AUTHORS)[0]
    thumb = 1_000_000 + post_id if post_id % 3 == 0 else None
    terms = "".join(f'<category domain="category" nicename="{n}"><![CDATA[{name}]]></category>'
                    for n, name in cats)
    terms += "".join(f'<category domain="post_tag" nicename="{t}"><![CDATA[{t}]]></category>'
                     for t in tags)
    meta = (f"<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>{thumb}"
            "</wp:meta_value></wp:postmeta>" if thumb else "")
    gmt = "0000-00-00 00:00:00" if status == "draft" else f"{date:%Y-%m-%d %H:%M:%S}"
    out.write(
        f"<item><title><![CDATA[{title}]]></title>"
        f"<link>https://news.example.com/{date:%Y/%m/%d}/{slug}/</link>"
        f"<pubDate>{date:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
        f"<dc:creator><![CDATA[{login}]]></dc:creator>"
        f'<guid isPermaLink="false">https://news.example.com/?p={post_id}</guid>'
        f"<description></description>"
        f"<content:encoded><![CDATA[{_content(rng, post_id, post_id % 2 == 0)}]]>"
        f"</content:encoded><excerpt:encoded><![CDATA[{_sentence(rng, 15)}]]></excerpt:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id>"
        f"<wp:post_date><![CDATA[{local:%Y-%m-%d %H:%M:%S}]]></wp:post_date>"
        f"<wp:post_date_gmt><![CDATA[{gmt}]]></wp:post_date_gmt>"
        f"<wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status><![CDATA[{status}]]>"
        f"</wp:status><wp:post_parent>0</wp:post_parent><wp:post_type><![CDATA[post]]>"
        f"</wp:post_type><wp:post_password><![CDATA[]]></wp:post_password>{terms}{meta}"
        "</item>\n")
    return thumb


def write_export(path: Path, posts: int, seed: int = 7) -> None:
    """Streamed out, so any size can be written in constant memory."""
    rng = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for login, name in AUTHORS:
            out.write(f"<wp:author><wp:author_login><![CDATA[{login}]]></wp:author_login>"
                      f"<wp:author_display_name><![CDATA[{name}]]></wp:author_display_name>"
                      "</wp:author>\n")
        for post_id in range(1, posts + 1):
            thumb = _item(out, rng, post_id, start)
            if thumb:
                out.write(
                    f"<item><title>Image {thumb}</title><wp:post_id>{thumb}</wp:post_id>"
                    f"<wp:post_type><![CDATA[attachment]]></wp:post_type>"
                    f"<wp:post_parent>{post_id}</wp:post_parent><wp:attachment_url>"
                    f"https://news.example.com/wp-content/uploads/2020/01/f{thumb}.jpg"
                    "</wp:attachment_url></item>\n")
        out.write("</channel></rss>\n")


@contextmanager
def database(kind: str, base_pg: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench-wordpress.db"
        return
    name = f"khabar_bench_wp_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def khabar(url: str, *args: str) -> tuple[str, float, int, float]:
    """(stdout, wall seconds, peak RSS in MB, CPU seconds) of one `khabar` command, reaped with
    `wait4` so the figures are that process's own (CPU includes its worker processes)."""
    env = {**os.environ, "DATABASE_URL": url}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"khabar {' '.join(args)} failed:\n{err.read()}")
        return (out.read().strip(), wall, usage.ru_maxrss // 1024,
                usage.ru_utime + usage.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--jobs", type=int, default=0, help="khabar's --jobs (0: its default)")
    args = parser.parse_args()
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        export = args.keep or Path(tmp) / "export.xml"
        started = time.perf_counter()
        write_export(export, args.posts)
        size = export.stat().st_size
        print(f"export: {args.posts:,} posts, {size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s")
        with database(args.db, args.pg_url) as url:
            khabar(url, "db", "upgrade")
            first, wall, rss, cpu = khabar(url, "import", "wordpress", str(export), *extra)
            second, rewall, rerss, recpu = khabar(url, "import", "wordpress", str(export),
                                                  *extra)
    seconds = float(re.search(r"in ([\d.]+) s$", first).group(1))  # type: ignore[union-attr]
    reseconds = float(re.search(r"in ([\d.]+) s$", second).group(1))  # type: ignore[union-attr]
    created = int(re.search(r"(\d+) created", first).group(1))  # type: ignore[union-attr]
    result = {
        "db": args.db, "posts": args.posts, "export_mb": round(size / 1e6, 1),
        "created": created, "import_seconds": seconds, "posts_per_second": round(created / seconds),
        "import_wall_seconds": round(wall, 1), "import_peak_rss_mb": rss,
        "rerun_seconds": reseconds, "rerun_wall_seconds": round(rewall, 1),
        "rerun_peak_rss_mb": rerss, "import_cpu_seconds": round(cpu, 1),
        "posts_per_cpu_second": round(created / cpu), "rerun_cpu_seconds": round(recpu, 1),
        "jobs": args.jobs or "default", "load_average_before": round(load, 1),
        "cpus": os.cpu_count(), "first": first, "rerun": second,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"first import: {first}")
    print(f"  {created / seconds:,.0f} posts/s; wall {wall:.1f} s; peak RSS {rss} MB; "
          f"CPU {cpu:.1f} s ({created / cpu:,.0f} posts per CPU second); load average "
          f"before {load:.1f} on {os.cpu_count()} CPUs")
    print(f"rerun:        {second}")
    print(f"  wall {rewall:.1f} s; peak RSS {rerss} MB; CPU {recpu:.1f} s")
    RESULTS.mkdir(exist_ok=True)
    name = f"{datetime.now(UTC):%Y-%m-%dT%H%M}-wordpress-{args.db}-{args.posts}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")


if __name__ == "__main__":
    main()
