# A procedural landscape (sky, sun, hills, lake, trees) written as PNG with the stdlib only.
import zlib, struct, math, random
W, H = 320, 224
random.seed(7)
def noise(x, y, s):
    return math.sin(x * 0.11 * s + math.sin(y * 0.07 * s) * 2) * 0.5 + math.sin(y * 0.13 * s + x * 0.05) * 0.5
px = []
for y in range(H):
    row = []
    for x in range(W):
        t = y / H
        r, g, b = 90 + 100 * t, 150 + 60 * t, 235 - 20 * t             # sky
        d = math.hypot(x - 240, y - 50)
        if d < 22: r, g, b = 255, 235, 150                               # sun
        elif d < 40: k = (40 - d) / 18 * 0.5; r, g, b = r + (255 - r) * k, g + (220 - g) * k, b + (150 - b) * k
        hill1 = 120 + 25 * math.sin(x / 45.0) + 10 * math.sin(x / 13.0)
        hill2 = 150 + 18 * math.sin(x / 30.0 + 1.3)
        if y > hill1: r, g, b = 70 + 20 * noise(x, y, 1), 110 + 25 * noise(x, y, 2), 60
        if y > hill2: r, g, b = 50 + 15 * noise(x, y, 3), 130 + 30 * noise(x, y, 1.5), 55
        if y > 185:                                                      # lake with reflection
            ry = 2 * 185 - y
            r, g, b = 60 + 0.3 * (90 + 100 * ry / H), 100 + 0.3 * (150 + 60 * ry / H), 170
            r += 10 * math.sin(x * 0.3 + y); b += 10 * math.sin(x * 0.2 - y * 0.5)
        for tx in (40, 75, 105, 160, 290):                               # trees
            top = hill2 - 40 - (tx % 17)
            if top < y < hill2 + 10 and abs(x - tx) < (y - top) * 0.35:
                r, g, b = 25, 70 + 15 * noise(x, y, 4), 35
        row += [max(0, min(255, int(v))) for v in (r, g, b)]
    px.append(bytes([0] + row))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open("landscape.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"".join(px))) + chunk(b"IEND", b""))
