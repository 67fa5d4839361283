"""A PNG writer for the shell tests, with nothing but the standard library
(this machine's Python may lack an imaging module).

png(path, w, h, f) writes an 8-bit RGB picture whose pixel (x, y) is
f(x, y), a tuple of three 0-255 values."""
import struct
import zlib


def png(path, w, h, f):
    raw = b''.join(b'\0' + bytes(v for x in range(w) for v in f(x, y))
                   for y in range(h))

    def chunk(t, d):
        c = struct.pack('>I', len(d)) + t + d
        return c + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    with open(path, 'wb') as out:
        out.write(b'\x89PNG\r\n\x1a\n'
                  + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                  + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
