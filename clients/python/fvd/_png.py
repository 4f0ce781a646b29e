"""Reads the PNGs fvd writes (8-bit, not interlaced; RGB, grey, or with alpha, which is dropped)
into RGB bytes, with the standard library only, so ``Render.rgb()`` needs nothing but numpy."""
import struct
import zlib


def decode_rgb(png):
    """(width, height, RGB bytes) of an 8-bit, non-interlaced PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError("only 8-bit, non-interlaced grey or RGB PNGs (what fvd writes) are read here")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray(height * stride)
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        previous = line
    if channels == 3:
        return width, height, bytes(out)
    rgb = bytearray(width * height * 3)
    for p in range(width * height):
        if channels in (1, 2):
            rgb[3 * p:3 * p + 3] = bytes([out[p * channels]]) * 3
        else:
            rgb[3 * p:3 * p + 3] = out[p * 4:p * 4 + 3]
    return width, height, bytes(rgb)
