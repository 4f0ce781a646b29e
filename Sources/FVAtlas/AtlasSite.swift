import Foundation

/// The atlas as a static web site: `index.html` (the network as stacked layers, each a strip of
/// thumbnails), `LAYER/index.html` (a labelled contact sheet of the layer) and `LAYER/F.html`
/// (one page per unit, at a stable address: the picture, its negative, the objective per step,
/// the command that renders it, its neighbours; left and right arrows go to them). Plain HTML,
/// one stylesheet and one small script, all relative links: it works from `file://`, from
/// `python3 -m http.server` and from any static host, and fetches nothing from the network.
public struct AtlasSite {
    public let directory: AtlasDirectory
    public let manifest: AtlasManifest

    public init(directory: AtlasDirectory, manifest: AtlasManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// Writes every page for the units that are done; returns how many are done.
    @discardableResult
    public func build() throws -> (done: Int, total: Int) {
        let units = manifest.units
        var records: [AtlasUnit: AtlasRecord] = [:]
        for u in units { if let r = directory.done(u, manifest) { records[u] = r } }
        let done = units.filter { records[$0] != nil }
        try directory.write(Array(Self.stylesheet.utf8), to: "atlas.css")
        try directory.write(Array(Self.script.utf8), to: "atlas.js")
        try directory.write(Array(index(records).utf8), to: "index.html")
        for l in manifest.layers {
            try directory.write(Array(layerPage(l, records).utf8), to: "\(l.name)/index.html")
        }
        // A unit no longer done (its record lost) has no page: nothing unfinished is served as done.
        for u in units where records[u] == nil { unlink(directory.url(u.page)) }
        for (k, u) in done.enumerated() {
            let previous = k > 0 ? done[k - 1] : nil, next = k + 1 < done.count ? done[k + 1] : nil
            try directory.write(Array(unitPage(u, records[u]!, previous: previous, next: next).utf8), to: u.page)
        }
        return (done.count, units.count)
    }

    var settings: String {
        "preset \(manifest.preset)" + (manifest.spectrumFrom.map { " (spectrum of \($0))" } ?? "")
            + ", \(manifest.size) px, \(manifest.steps) steps, seed \(manifest.seed), weights \(manifest.weights)"
    }

    func page(title: String, root: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="\(root)atlas.css">
        </head>
        <body>
        \(body)
        <script src="\(root)atlas.js"></script>
        </body>
        </html>

        """
    }

    func index(_ records: [AtlasUnit: AtlasRecord]) -> String {
        let done = records.count, total = manifest.units.count
        var body = "<header><h1>VGG16 feature atlas</h1><p>\(done) of \(total) filters drawn; \(escape(settings)). "
            + "Each picture is what the filter responds to most.</p></header>\n<main>\n"
        for l in manifest.layers {
            let drawn = l.filters.filter { records[AtlasUnit(layer: l.name, filter: $0)] != nil }
            body += "<section class=\"layer\"><h2><a href=\"\(l.name)/index.html\">\(l.name)</a> "
                + "<span class=\"count\">\(drawn.count) of \(l.filters.count) filters</span></h2>\n<div class=\"strip\">"
            for f in drawn.prefix(16) {
                let u = AtlasUnit(layer: l.name, filter: f)
                body += "<a class=\"thumb\" href=\"\(u.page)\"><img src=\"\(u.picture)\" alt=\"\(l.name) filter \(f)\" width=\"64\" height=\"64\"><span>\(f)</span></a>"
            }
            if drawn.count > 16 { body += "<a class=\"more\" href=\"\(l.name)/index.html\">all \(drawn.count) &rarr;</a>" }
            if drawn.isEmpty { body += "<p class=\"missing\">not drawn yet</p>" }
            body += "</div></section>\n"
        }
        body += "</main>"
        return page(title: "VGG16 feature atlas", root: "", body: body)
    }

    func layerPage(_ l: AtlasManifest.Layer, _ records: [AtlasUnit: AtlasRecord]) -> String {
        var body = "<nav><a href=\"../index.html\" rel=\"up\">atlas</a> / \(l.name)</nav>\n<header><h1>\(l.name)</h1><p>\(l.filters.count) filters; \(escape(settings)).</p></header>\n<main class=\"sheet\">"
        for f in l.filters {
            let u = AtlasUnit(layer: l.name, filter: f)
            if records[u] != nil {
                body += "<a class=\"thumb\" href=\"\(f).html\"><img src=\"\(f).png\" alt=\"\(l.name) filter \(f)\" width=\"\(manifest.size)\" height=\"\(manifest.size)\"><span>\(f)</span></a>"
            } else {
                body += "<div class=\"thumb missing\" style=\"width:\(manifest.size)px;height:\(manifest.size)px\"><span>\(f): not drawn yet</span></div>"
            }
        }
        body += "</main>"
        return page(title: "\(l.name) — VGG16 atlas", root: "../", body: body)
    }

    func unitPage(_ u: AtlasUnit, _ r: AtlasRecord, previous: AtlasUnit?, next: AtlasUnit?) -> String {
        func link(_ other: AtlasUnit?, _ rel: String, _ text: String) -> String {
            guard let other else { return "<span class=\"none\">\(text)</span>" }
            let href = other.layer == u.layer ? "\(other.filter).html" : "../\(other.page)"
            return "<a href=\"\(href)\" rel=\"\(rel)\">\(text) (\(other.layer == u.layer ? "" : other.layer + " ")\(other.filter))</a>"
        }
        var body = "<nav><a href=\"../index.html\">atlas</a> / <a href=\"index.html\" rel=\"up\">\(u.layer)</a> / filter \(u.filter)"
            + "<span class=\"neighbours\">\(link(previous, "prev", "&larr; previous")) \(link(next, "next", "next &rarr;"))</span></nav>\n"
        body += "<header><h1>\(u.layer) filter \(u.filter)</h1><p>\(escape(settings)). Left and right arrow keys: previous and next filter.</p></header>\n<main class=\"unit\">"
        let toggle = manifest.importance
            ? " <button type=\"button\" id=\"importance-toggle\" title=\"key i\">show where the objective comes from</button>" : ""
        let swap = manifest.importance ? " id=\"picture\" data-other=\"\(u.filter)-importance.png\"" : ""
        body += "<figure><img src=\"\(u.filter).png\"\(swap) alt=\"what \(u.layer) filter \(u.filter) responds to most\" width=\"384\" height=\"384\">"
            + "<figcaption>for: the filter's mean \(format(r.loss))\(toggle)</figcaption></figure>"
        if let nl = r.negativeLoss {
            body += "<figure><img src=\"\(u.filter)-negative.png\" alt=\"what \(u.layer) filter \(u.filter) is most against\" width=\"384\" height=\"384\">"
                + "<figcaption>against: the filter's mean \(format(-nl))</figcaption></figure>"
        }
        if let losses = r.diverseLosses {
            body += "<section class=\"diverse\"><h2>\(losses.count) diverse pictures</h2><p>One render of \(losses.count) pictures kept apart by Lucid's diversity penalty: other facets of what the filter responds to.</p><div class=\"strip\">"
            for k in losses.indices {
                let file = (u.diversePicture(k) as NSString).lastPathComponent
                body += "<figure><img src=\"\(file)\" alt=\"diverse picture \(k + 1) of \(u.layer) filter \(u.filter)\" width=\"192\" height=\"192\"><figcaption>\(format(losses[k]))</figcaption></figure>"
            }
            body += "</div><pre><code>\(escape(u.diversityCommand(manifest)))</code></pre></section>"
        }
        body += examples(u)
        body += "<section class=\"curve\"><h2>The filter's mean activation per step</h2>\(curve(r))</section>"
        body += "<section class=\"command\"><h2>Render it alone</h2><pre><code>\(escape(u.command(manifest)))</code></pre>"
        if r.negativeLoss != nil { body += "<pre><code>\(escape(u.command(manifest, negative: true)))</code></pre>" }
        body += "<p>The same bytes as this page's picture.</p></section></main>"
        return page(title: "\(u.layer) filter \(u.filter) — VGG16 atlas", root: "../", body: body)
    }

    /// The unit's dataset examples, when they were chosen from the atlas's current picture set.
    func examples(_ u: AtlasUnit) -> String {
        guard let set = directory.readJSON("examples/set.json"), let digest = set["digest"]?.stringValue,
              let j = directory.readJSON(u.examples), j["set"]?.stringValue == digest, let list = j["examples"]?.arrayValue else { return "" }
        let folder = escape(set["folder"]?.stringValue ?? "the folder")
        guard !list.isEmpty else {
            return "<section class=\"examples\"><h2>Dataset examples</h2><p>No picture of \(folder) makes this filter fire.</p></section>"
        }
        var html = "<section class=\"examples\"><h2>Dataset examples</h2><p>The \(list.count) pictures of \(folder) that drive this filter hardest "
            + "(its largest activation over positions): the part its strongest unit sees, and where in the picture it fires.</p><div class=\"strip\">"
        for (k, e) in list.enumerated() {
            let name = escape(e["name"]?.stringValue ?? "?"), top = e["max"]?.doubleValue.map { format(Float($0)) } ?? "?"
            let crop = (u.example(k) as NSString).lastPathComponent, heat = (u.example(k, heat: true) as NSString).lastPathComponent
            html += "<figure class=\"example\"><img src=\"examples/\(crop)\" alt=\"\(name), around the peak\" width=\"96\" height=\"96\">"
                + "<img src=\"examples/\(heat)\" alt=\"\(name), where the filter fires\" height=\"96\"><figcaption>\(name): \(top)</figcaption></figure>"
        }
        return html + "</div></section>"
    }

    /// The filter's mean per step as an inline SVG: the picture's (the objective), and the
    /// negative's (minus its objective): one rising, one falling.
    func curve(_ r: AtlasRecord) -> String {
        let series = [("for", r.history)] + (r.negativeHistory.map { [("against", $0.map { -$0 })] } ?? [])
        let all = series.flatMap(\.1).filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max(), let steps = series.map({ $0.1.count }).max(), steps > 1 else { return "<p>one step only</p>" }
        let w = 480.0, h = 160.0, pad = 36.0
        let span = hi > lo ? Double(hi - lo) : 1
        func point(_ i: Int, _ v: Float) -> String {
            String(format: "%.1f,%.1f", pad + Double(i) / Double(steps - 1) * (w - 2 * pad), h - pad / 2 - (Double(v - lo) / span) * (h - pad))
        }
        var svg = "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"the filter's mean per step\">"
        svg += "<line x1=\"\(pad)\" y1=\"\(h - pad / 2)\" x2=\"\(w - pad)\" y2=\"\(h - pad / 2)\" class=\"axis\"/>"
        svg += "<text x=\"\(pad)\" y=\"12\" class=\"label\">\(format(hi))</text><text x=\"\(pad)\" y=\"\(h - 2)\" class=\"label\">\(format(lo)); step 1 to \(steps)</text>"
        for (k, (name, values)) in series.enumerated() {
            let points = values.enumerated().filter { $0.element.isFinite }.map { point($0.offset, $0.element) }.joined(separator: " ")
            svg += "<polyline points=\"\(points)\" class=\"series\(k)\"><title>\(name)</title></polyline>"
        }
        if series.count > 1 { svg += "<text x=\"\(w - pad)\" y=\"12\" text-anchor=\"end\" class=\"label\">for (blue), against (orange)</text>" }
        return svg + "</svg>"
    }

    func format(_ v: Float) -> String { String(format: abs(v) >= 100 ? "%.1f" : "%.4g", Double(v)) }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let stylesheet = """
        body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 32px; color: #222; background: #fafafa; }
        h1 { font-size: 1.5em; margin: 16px 0 4px; } h2 { font-size: 1.1em; margin: 16px 0 6px; }
        a { color: #1a5fb4; text-decoration: none; } a:hover { text-decoration: underline; }
        nav { padding: 10px 0; border-bottom: 1px solid #ddd; } .neighbours { float: right; } .neighbours > * { margin-left: 16px; } .none { color: #aaa; }
        .strip { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
        .sheet { display: flex; flex-wrap: wrap; gap: 6px; }
        .thumb { position: relative; display: inline-block; line-height: 0; }
        .thumb span { position: absolute; left: 0; top: 0; background: rgba(0,0,0,.65); color: #fff; font-size: 11px; line-height: 1.3; padding: 0 3px; }
        .thumb.missing { background: #ddd; } .missing span { position: static; background: none; color: #666; line-height: 1.3; padding: 4px; display: block; }
        .more { padding: 0 8px; } .count { color: #666; font-weight: normal; font-size: .85em; }
        .unit figure { display: inline-block; margin: 8px 16px 8px 0; } .unit img { image-rendering: auto; background: #000; }
        figcaption { color: #444; } .example { margin: 4px 12px 4px 0; } .example img { margin-right: 2px; image-rendering: auto; }
        pre { background: #eee; padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
        svg .axis { stroke: #999; } svg .label { font-size: 11px; fill: #555; }
        button { font: inherit; margin-left: 8px; }
        svg polyline { fill: none; stroke-width: 1.5; } svg .series0 { stroke: #1a5fb4; } svg .series1 { stroke: #e66100; }

        """

    /// Left and right go to the neighbours, up to the layer (links marked rel=prev/next/up); with
    /// the natural preset, the button (or the i key) shows the importance map over the picture.
    static let script = """
        function toggleImportance() {
          var img = document.getElementById("picture"), button = document.getElementById("importance-toggle");
          if (!img || !button) return;
          var other = img.getAttribute("data-other");
          img.setAttribute("data-other", img.getAttribute("src"));
          img.setAttribute("src", other);
          button.textContent = /importance/.test(other) ? "show the picture" : "show where the objective comes from";
        }
        document.addEventListener("DOMContentLoaded", function () {
          var button = document.getElementById("importance-toggle");
          if (button) button.addEventListener("click", toggleImportance);
        });
        document.addEventListener("keydown", function (e) {
          if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
          if (e.key === "i") { toggleImportance(); return; }
          var rel = { ArrowLeft: "prev", ArrowRight: "next", ArrowUp: "up" }[e.key];
          if (!rel) return;
          var a = document.querySelector('a[rel="' + rel + '"]');
          if (a) { e.preventDefault(); window.location.href = a.href; }
        });

        """
}
