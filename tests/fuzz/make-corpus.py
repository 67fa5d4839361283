#!/usr/bin/python3
"""Writes the seed corpus of the fuzz harnesses (tests/fuzz/corpus/).

Run with Debian's /usr/bin/python3 (standard library only); the files are
committed, this script is how they were made:  ./make-corpus.py
"""
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def write(harness, name, data):
    d = os.path.join(HERE, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def st_file(tensors, metadata=None, raw_header=None, length=None, pad=0):
    """tensors: name -> (dtype, shape, bytes)."""
    header, data, off = {}, b'', 0
    if metadata is not None:
        header['__metadata__'] = metadata
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {'dtype': dtype, 'shape': shape,
                        'data_offsets': [off, off + len(blob)]}
        data += blob
        off += len(blob)
    text = raw_header if raw_header is not None else json.dumps(header)
    text = text.encode() + b' ' * pad
    n = len(text) if length is None else length
    return struct.pack('<Q', n) + text + data


def f32(*v):
    return struct.pack('<%df' % len(v), *v)


# --- safetensors: small, structurally valid files and the hostile cases
S = 'safetensors'
write(S, 'valid-one-tensor', st_file({'x': ('F32', [2, 2], f32(1, 2, 3, 4))}))
write(S, 'valid-f16-bf16', st_file({
    'features.0.weight': ('F16', [2], struct.pack('<2e', 1.0, -2.0)),
    'features.0.bias': ('BF16', [1], b'\x80\x3f')},
    metadata={'preprocess': 'caffe'}))
# every wanted name, each one element: reaches the shape check
tiny = {}
for n in FEATURES:
    tiny['features.%d.weight' % n] = ('F32', [1, 1, 1, 1], f32(0.5))
    tiny['features.%d.bias' % n] = ('F32', [1], f32(0.0))
write(S, 'all-names-tiny-shapes', st_file(tiny, metadata={'preprocess': 'torch'}))
# right first shapes, the data cut short
write(S, 'conv1-truncated', st_file({
    'features.0.weight': ('F32', [64, 3, 3, 3], f32(*[0.1] * 16)),
    'features.0.bias': ('F32', [64], f32(*[0.0] * 64))}))
write(S, 'empty', b'')
write(S, 'short', b'\x05\x00\x00')
write(S, 'header-past-end', st_file({}, length=4096))
write(S, 'absurd-header-length', struct.pack('<Q', 1 << 62) + b'{}')
write(S, 'hdf5-magic', b'\x89HDF\r\n\x1a\n' + bytes(64))
write(S, 'header-not-json', st_file({}, raw_header='{"a": [1, 2'))
write(S, 'header-array', st_file({}, raw_header='[1, 2, 3]'))
write(S, 'header-nul', st_file({}, raw_header='{"a\x00": 1}'))
write(S, 'deep-nesting', st_file({}, raw_header='[' * 100 + ']' * 100))
# issue 13: nesting hidden from a scan that knows only "..." strings
write(S, 'nesting-behind-comment',
      st_file({}, raw_header='{"a": /* " */ ' + '[' * 100 + ']' * 100 + '}'))
write(S, 'nesting-behind-line-comment',
      st_file({}, raw_header='{"a": // "\n' + '[' * 100 + ']' * 100 + '}'))
write(S, 'nesting-behind-single-quote',
      st_file({}, raw_header="{'\"': " + '[' * 100 + ']' * 100 + '}'))
write(S, 'control-char-in-string', st_file({}, raw_header='{"a\nb": 1}'))
write(S, 'overlap', st_file({}, raw_header=json.dumps({
    'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
    'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}})) + bytes(12))
write(S, 'offsets-past-end', st_file({}, raw_header=json.dumps({
    'features.0.bias': {'dtype': 'F32', 'shape': [64],
                        'data_offsets': [0, 1 << 40]}})) + bytes(8))
write(S, 'dtype-mismatch', st_file({}, raw_header=json.dumps({
    'features.0.bias': {'dtype': 'F64', 'shape': [64],
                        'data_offsets': [0, 256]}})) + bytes(256))
write(S, 'shape-overflow', st_file({}, raw_header=json.dumps({
    'x': {'dtype': 'F32', 'shape': [1 << 32, 1 << 32, 16],
          'data_offsets': [0, 0]}})))
write(S, 'negative-offsets', st_file({}, raw_header=json.dumps({
    'x': {'dtype': 'F32', 'shape': [1], 'data_offsets': [-4, 0]}})))
write(S, 'float-dims', st_file({}, raw_header=json.dumps({
    'x': {'dtype': 'F32', 'shape': [1.5], 'data_offsets': [0, 4]}})) + bytes(4))
write(S, 'nan-weight', st_file({
    'features.0.bias': ('F32', [1], f32(float('nan')))}))
write(S, 'bad-metadata', st_file({}, metadata={'preprocess': 'bgr'}))
write(S, 'metadata-not-object', st_file({}, raw_header='{"__metadata__": 3}'))
# JSON-first inputs: the harness writes the length itself
write(S, 'json-first-valid', json.dumps({
    'features.0.bias': {'dtype': 'F32', 'shape': [1],
                        'data_offsets': [0, 4]}}).encode() + f32(1.0))
write(S, 'json-first-all-names', json.dumps({
    k: {'dtype': v[0], 'shape': v[1], 'data_offsets': [0, 0]}
    for k, v in tiny.items()}).encode())

# --- params and resize: the harnesses read typed values from any bytes
rng = random.Random(7)
for i in range(8):
    write('params', 'random-%d' % i, bytes(rng.randrange(256) for _ in range(96)))
write('params', 'zeros', bytes(96))
write('params', 'ones', b'\xff' * 96)
for i in range(8):
    write('resize', 'random-%d' % i, bytes(rng.randrange(256) for _ in range(64)))
write('resize', 'zeros', bytes(64))
write('resize', 'ones', b'\xff' * 64)
