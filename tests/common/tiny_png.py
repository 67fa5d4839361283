"""A PNG writer for the tests, with nothing but the standard library
(this machine's Python may lack an imaging module).

png_bytes(w, h, f) is an 8-bit RGB picture whose pixel (x, y) is f(x, y),
a tuple of three 0-255 values (four, RGBA, with alpha=True); without f,
every pixel is rgb.  Rows are compressed one at a time, so that a large
picture of one colour (8000 x 8000) costs no full copy here.
png(path, ...) writes it; chunk(type, data) is one PNG chunk, for tests
that build broken files."""
import struct
import zlib

SIGNATURE = b'\x89PNG\r\n\x1a\n'


def chunk(t, d):
    c = struct.pack('>I', len(d)) + t + d
    return c + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png_bytes(w, h, f=None, rgb=None, alpha=False):
    z = zlib.compressobj(9)
    data = []
    for y in range(h):
        if f:
            row = bytes(v for x in range(w) for v in f(x, y))
        else:
            row = bytes(rgb or (0, 0, 0)) * w
        data.append(z.compress(b'\0' + row))
    data.append(z.flush())
    return (SIGNATURE
            + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8,
                                         6 if alpha else 2, 0, 0, 0))
            + chunk(b'IDAT', b''.join(data)) + chunk(b'IEND', b''))


def png(path, w, h, f=None, rgb=None, alpha=False):
    with open(path, 'wb') as out:
        out.write(png_bytes(w, h, f, rgb, alpha))
