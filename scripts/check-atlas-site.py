#!/usr/bin/env python3
"""Opens an fvd atlas (fvctl atlas --out DIR) in a real browser, headless Chromium (Debian's
package) driven by Playwright, and checks what a reader gets, from file:// and over HTTP
(python3 -m http.server):

- every page loads with no console error and no request to the network;
- every <img> decoded (naturalWidth > 0);
- every link names a file that exists;
- on a unit page, the right and left arrow keys go to the next and previous filter, up to the layer;
- with the natural preset, the importance button swaps the picture for its importance map and back.

    scripts/check-atlas-site.py DIR [--screenshots OUT] [--max-units N]

Prints one JSON line of what it saw and "atlas site: PASS" (exit 0), or the failures (exit 1).
"""
import argparse
import functools
import http.server
import json
import os
import sys
import threading
import urllib.parse

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def pages(root, max_units):
    index = ["index.html"]
    layers, units = [], []
    for layer in sorted(os.listdir(root)):
        if os.path.isfile(os.path.join(root, layer, "index.html")):
            layers.append(layer + "/index.html")
            found = sorted((f for f in os.listdir(os.path.join(root, layer)) if f.endswith(".html") and f != "index.html"),
                           key=lambda f: int(f.split(".")[0]))
            units += [layer + "/" + f for f in found]
    return index + layers + units[:max_units], units


def check(page, url, root, relative, failures, seen, errors):
    del errors[:]
    page.goto(url + relative, wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    for src, width in images:
        if width <= 0:
            failures.append("%s: <img src=%s> did not decode" % (relative, src))
    seen["images"] += len(images)
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in links:
        if "://" in href:
            failures.append("%s: links to the network: %s" % (relative, href))
            continue
        target = os.path.normpath(os.path.join(root, os.path.dirname(relative), urllib.parse.unquote(href)))
        if not os.path.isfile(target):
            failures.append("%s: link %s names no file" % (relative, href))
    seen["links"] += len(links)
    for e in errors:
        failures.append("%s: console error: %s" % (relative, e))


def keyboard(page, url, unit, failures):
    """On `unit` (a page with both neighbours): right goes to next, left comes back, up to the layer."""
    page.goto(url + unit, wait_until="load")
    nxt = page.get_attribute('a[rel="next"]', "href")
    prev = page.get_attribute('a[rel="prev"]', "href")
    if not nxt or not prev:
        failures.append("%s: no previous and next links to go to" % unit)
        return
    start = page.url
    with page.expect_navigation(timeout=5000):
        page.keyboard.press("ArrowRight")
    if not page.url.endswith(nxt.split("/")[-1]):
        failures.append("%s: ArrowRight went to %s, not %s" % (unit, page.url, nxt))
    with page.expect_navigation(timeout=5000):
        page.keyboard.press("ArrowLeft")
    if page.url != start:
        failures.append("%s: ArrowLeft from the next page went to %s, not back to %s" % (unit, page.url, start))
    with page.expect_navigation(timeout=5000):
        page.keyboard.press("ArrowUp")
    if not page.url.endswith("/index.html"):
        failures.append("%s: ArrowUp went to %s, not the layer's page" % (unit, page.url))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def toggle(page, url, unit, failures, seen):
    """With the natural preset: the button swaps the picture for its importance map and back."""
    page.goto(url + unit, wait_until="load")
    if page.query_selector("#importance-toggle") is None:
        return
    seen["toggles"] += 1
    for want in ("-importance.png", ".png"):
        page.click("#importance-toggle")
        page.wait_for_function("document.getElementById('picture').complete")
        src, width = page.eval_on_selector("#picture", "e => [e.getAttribute('src'), e.naturalWidth]")
        if not src.endswith(want) or (want == ".png" and src.endswith("-importance.png")) or width <= 0:
            failures.append("%s: the importance button showed %s (%d px wide), not a decoded *%s" % (unit, src, width, want))


def serve(root):
    handler = functools.partial(QuietHandler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory")
    ap.add_argument("--screenshots", help="write unit.png and layer.png (a unit page and a layer page) here")
    ap.add_argument("--max-units", type=int, default=40, help="unit pages to open (all the index and layer pages are opened)")
    a = ap.parse_args()
    root = os.path.abspath(a.directory)
    chosen, units = pages(root, a.max_units)
    if not units:
        print("atlas site: FAIL: no unit pages under %s" % root)
        return 1
    failures, seen = [], {"pages": 0, "images": 0, "links": 0, "toggles": 0, "network": []}
    server = serve(root)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for base in ["file://" + root + "/", "http://127.0.0.1:%d/" % server.server_address[1]]:
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            page = context.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            # Anything fetched from elsewhere than the site itself is a failure.
            page.on("request", lambda r, base=base: seen["network"].append(r.url) if not r.url.startswith((base, "data:")) else None)
            for relative in chosen:
                check(page, base, root, relative, failures, seen, errors)
                seen["pages"] += 1
            middle = units[len(units) // 2] if len(units) > 2 else None
            if middle:
                keyboard(page, base, middle, failures)
            toggle(page, base, middle or units[0], failures, seen)
            if a.screenshots and base.startswith("http"):
                os.makedirs(a.screenshots, exist_ok=True)
                page.goto(base + (middle or units[0]), wait_until="load")
                page.screenshot(path=os.path.join(a.screenshots, "atlas-unit.png"), full_page=True)
                page.goto(base + units[0].split("/")[0] + "/index.html", wait_until="load")
                page.screenshot(path=os.path.join(a.screenshots, "atlas-layer.png"), full_page=False)
                page.goto(base + "index.html", wait_until="load")
                page.screenshot(path=os.path.join(a.screenshots, "atlas-index.png"), full_page=False)
            context.close()
        browser.close()
    server.shutdown()
    for url in seen["network"]:
        failures.append("fetched from outside the site: %s" % url)
    print(json.dumps({"pages": seen["pages"], "images": seen["images"], "links": seen["links"], "importance toggles": seen["toggles"],
                      "failures": failures[:50]}))
    if failures:
        print("atlas site: FAIL (%d problems)" % len(failures))
        return 1
    print("atlas site: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
