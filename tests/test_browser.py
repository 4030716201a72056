"""The HTML report in a real browser: headless Chromium loads the page from disk (no
network), every embedded figure decodes, and a screenshot shows a drawn page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import tdmpc2_runs
from matplotlib.image import imread

from embodied_bench.report import ReportOptions, build_report

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")

# Flags for a sandboxed CI machine with no network: no GPU, no first-run or background traffic.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"]

# Appended to a copy of the page: after the load event, the title says how many images
# decoded to a real size.
PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter((i) => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length;
  const links = Array.from(document.links).map((a) => a.getAttribute("href"));
  document.title = "probe:" + JSON.stringify({images: imgs.length, loaded: ok, links: links});
});
</script>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_html_renders_every_image(tmp_path):
    out = tmp_path / "report"
    build_report(tdmpc2_runs(("cup-catch", "walker-walk")), out, ReportOptions(reps=1_000, band_reps=200))
    page = out / "report.html"
    figures = page.read_text().count("<img ")
    assert figures >= 4

    probe = out / "probe.html"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<title>probe:(\{.*?\})</title>", dom.stdout)
    assert found, f"the probe did not run: {dom.stdout[:500]}"
    assert json.loads(found.group(1)) == {"images": figures, "loaded": figures, "links": []}

    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, "--window-size=1280,2400", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    img = imread(shot)[..., :3]
    drawn = (img < 0.9).any(axis=-1)
    assert img.shape[:2] == (2400, 1280)
    assert 0.02 < drawn.mean() < 0.8, f"{drawn.mean():.3f} of the screenshot is drawn"
    # Text and figures all the way down the page, not one block at the top.
    assert drawn[1200:].mean() > 0.01


def _probe(tmp_path: Path, page: Path) -> dict:
    """Load ``page`` from disk with the probe beside it (same folder, so relative links and
    images resolve as they do for the page itself)."""
    probe = page.with_name(f"probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    probe.unlink()
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<title>probe:(\{.*?\})</title>", dom.stdout)
    assert found, f"the probe did not run: {dom.stdout[:500]}"
    return json.loads(found.group(1))


def test_leaderboard_site_renders_and_links(tmp_path):
    from test_leaderboard import cli, make_bundle

    from conftest import ROOT

    root = tmp_path / "leaderboard"
    shutil.copytree(ROOT / "leaderboard" / "baselines" / "treat-reach@v0" / "random", root / "baselines" / "treat-reach@v0" / "random")
    (root / "submissions").mkdir()
    bundle = make_bundle(tmp_path / "bundle")
    assert cli("submit", bundle, "--name", "hill-climber", "--root", root, "--min-seeds", 3).exit_code == 0
    assert cli("leaderboard", "--root", root, "--reps", 500).exit_code == 0
    site = root / "site"

    index = _probe(tmp_path, site / "index.html")
    assert index["images"] >= 4 and index["loaded"] == index["images"]
    local = [h for h in index["links"] if not h.startswith("http")]
    assert "submissions/hill-climber.html" in local and "baselines/random.html" in local
    for href in local:
        assert (site / href).is_file(), f"index links to a missing {href}"

    page = _probe(tmp_path, site / "submissions" / "hill-climber.html")
    assert page["images"] >= 1 and page["loaded"] == page["images"]
    assert "../index.html" in page["links"] and "https://example.org/hill-climber" in page["links"]
    for href in (h for h in page["links"] if not h.startswith("http")):
        assert (site / "submissions" / href).resolve().is_file(), f"the submission page links to a missing {href}"

    shot = tmp_path / "index.png"
    result = _chromium(tmp_path, "--window-size=1280,1600", "--hide-scrollbars", f"--screenshot={shot}", (site / "index.html").as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    drawn = (imread(shot)[..., :3] < 0.9).any(axis=-1)
    assert 0.02 < drawn.mean() < 0.8


# Waits for every video to load its first frame (or fail), then reports.
VIDEO_PROBE = """<script>
window.addEventListener("load", async () => {
  const vids = Array.from(document.querySelectorAll("video"));
  await Promise.all(vids.map((v) => v.readyState >= 2 ? null : new Promise((done) => {
    v.addEventListener("loadeddata", done); v.addEventListener("error", done); setTimeout(done, 8000);
  })));
  const imgs = Array.from(document.images);
  document.title = "probe:" + JSON.stringify({videos: vids.length, playable: vids.filter((v) => v.readyState >= 2 && v.videoWidth > 0).length, images: imgs.length, loaded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length});
});
</script>"""


def _video_probe(tmp_path: Path, page: Path) -> dict:
    probe = page.with_name(f"probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", VIDEO_PROBE + "</body>"))
    dom = _chromium(tmp_path, "--virtual-time-budget=20000", "--autoplay-policy=no-user-gesture-required", "--dump-dom", probe.as_uri())
    probe.unlink()
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"<title>probe:(\{.*?\})</title>", dom.stdout)
    assert found, f"the probe did not run: {dom.stdout[:500]}"
    return json.loads(found.group(1))


@pytest.mark.extra("video")
def test_clips_play_in_the_report_and_on_the_leaderboard_site(tmp_path):
    from test_leaderboard import cli

    from embodied_bench import video

    runs = tmp_path / "runs"
    tiny = ("--seeds", "1", "--budget-scale", "0.02", "--eval-episodes", "2", "--jobs", "1", "--record-video")
    assert cli("run", "--agent", "scripted", "--agent", "random", "--task", "treat-reach", *tiny, "--out", runs).exit_code == 0
    assert cli("report", runs, "--out", tmp_path / "report", "--reps", 500, "--band-reps", 200, "--no-svg").exit_code == 0
    seen = _video_probe(tmp_path, tmp_path / "report" / "report.html")
    assert seen["videos"] == 4 and seen["playable"] == 4 and seen["loaded"] == seen["images"]
    for gif in (tmp_path / "report" / "videos").glob("*.gif"):  # what report.md shows
        assert len(video.read_clip(gif)) > 3

    root = tmp_path / "leaderboard"
    (root / "submissions").mkdir(parents=True)
    assert cli("run", "--agent", "scripted", "--task", "treat-reach", *tiny, "--out", root / "baselines" / "official").exit_code == 0
    assert cli("leaderboard", "--root", root, "--reps", 500).exit_code == 0
    index = _video_probe(tmp_path, root / "site" / "index.html")
    assert index["videos"] == 1 and index["playable"] == 1  # the last checkpoint's clip
    page = _video_probe(tmp_path, root / "site" / "references" / "scripted.html")
    assert page["videos"] == 2 and page["playable"] == 2 and page["loaded"] == page["images"]
    assert sorted(p.suffix for p in (root / "site" / "clips").iterdir()) == [".mp4", ".mp4", ".png", ".png"]
