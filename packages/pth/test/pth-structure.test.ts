// What readPth makes of checkpoint structures: views, dtypes, nesting, prefixes, and globals it must not run.
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@edet/safetensors';
import { describe, expect, it } from 'vitest';

import { pthToSafetensors, readPth } from '../src/index.js';
import { zipSync } from 'fflate';

import { bytesOf, float32Bytes, legacyPth, op, pickle, stateDictPickle, tensorPickle, type TinyTensor, zipPth } from './support/pickle-builder.js';

const six = float32Bytes([0, 1, 2, 3, 4, 5]);
const floats = (data: Uint8Array): number[] => [...new Float32Array(data.buffer, data.byteOffset, data.length / 4)];

describe('readPth structures', () => {
  it('copies non-contiguous views: a transpose, an offset slice, an expanded dimension', () => {
    const views: TinyTensor[] = [
      { name: 't', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] },
      { name: 'slice', key: '0', numel: 6, offset: 4, shape: [2], stride: [1] },
      { name: 'column', key: '0', numel: 6, offset: 1, shape: [2], stride: [3] },
      { name: 'expanded', key: '0', numel: 6, offset: 5, shape: [2, 3], stride: [0, 0] },
      { name: 'scalar', key: '0', numel: 6, offset: 2, shape: [], stride: [] },
      { name: 'empty', key: '0', numel: 6, shape: [0, 4], stride: [4, 1] },
    ];
    const { tensors } = readPth(zipPth(pickle(stateDictPickle(views)), { '0': six }));
    expect(floats(tensors.t.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(floats(tensors.slice.data)).toEqual([4, 5]);
    expect(floats(tensors.column.data)).toEqual([1, 4]);
    expect(floats(tensors.expanded.data)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(tensors.scalar).toMatchObject({ shape: [] });
    expect(floats(tensors.scalar.data)).toEqual([2]);
    expect(tensors.empty).toMatchObject({ shape: [0, 4], data: new Uint8Array(0) });
  });

  it('keeps F16, BF16 and I64 storages as they are; the safetensors reader then decodes them', () => {
    const half = Uint8Array.of(0x00, 0x3c, 0x00, 0xc0); // 1, -2
    const bfloat = Uint8Array.of(0x80, 0x3f, 0x40, 0x40); // 1, 3
    const long = Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff); // 7, -1
    const body = stateDictPickle([
      { name: 'h', key: 'h', numel: 2, shape: [2], storageType: 'HalfStorage' },
      { name: 'b', key: 'b', numel: 2, shape: [2], storageType: 'BFloat16Storage' },
      { name: 'n', key: 'n', numel: 2, shape: [2], storageType: 'LongStorage' },
    ]);
    const file = zipPth(pickle(body), { h: half, b: bfloat, n: long });
    const { tensors } = readPth(file);
    expect(Object.values(tensors).map((t) => t.dtype)).toEqual(['F16', 'BF16', 'I64']);
    expect(tensors.n.data).toEqual(long);
    const before = tf.memory().numTensors;
    const read = readSafetensors(pthToSafetensors(file));
    expect([...read.tensors.h.dataSync()]).toEqual([1, -2]);
    expect([...read.tensors.b.dataSync()]).toEqual([1, 3]);
    expect(read.tensors.n.dtype).toBe('int32');
    expect([...read.tensors.n.dataSync()]).toEqual([7, -1]);
    tf.dispose(Object.values(read.tensors));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads a deflated zip as well as a stored one', () => {
    const file = zipPth(pickle(stateDictPickle([{ name: 'w', key: '0', numel: 6, shape: [6] }])), { '0': six }, { deflate: true });
    expect(floats(readPth(file).tensors.w.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("removes module. and model. prefixes that every key carries, and finds a checkpoint's model dict", () => {
    const prefixed = stateDictPickle([
      { name: 'module.model.a', key: '0', numel: 6, shape: [1] },
      { name: 'module.model.b', key: '0', numel: 6, shape: [1] },
    ]);
    expect(Object.keys(readPth(zipPth(pickle(prefixed), { '0': six })).tensors)).toEqual(['a', 'b']);
    const mixed = stateDictPickle([
      { name: 'model.a', key: '0', numel: 6, shape: [1] },
      { name: 'anchors', key: '0', numel: 6, shape: [1] },
    ]);
    expect(Object.keys(readPth(zipPth(pickle(mixed), { '0': six })).tensors)).toEqual(['model.a', 'anchors']);
    const nested = bytesOf(op.emptyDict, op.str('epoch'), op.int(3), op.setItem, op.str('model'), prefixed, op.setItem);
    const contents = readPth(zipPth(pickle(nested), { '0': six }));
    expect(Object.keys(contents.tensors)).toEqual(['a', 'b']);
    expect(contents.metadata).toEqual({ epoch: '3' });
  });

  it('never calls a global: os.system and unknown classes stay inert, and tensors inside them are still found', () => {
    const evil = bytesOf(op.global('os', 'system'), op.mark, op.str('touch /tmp/pwned'), op.tuple, op.reduce);
    const holder = bytesOf(
      op.global('some.module', 'Holder'),
      op.emptyTuple,
      0x81, // NEWOBJ
      op.emptyDict,
      op.str('weight'),
      tensorPickle({ name: 'w', key: '0', numel: 6, shape: [2] }),
      op.setItem,
      op.build,
    );
    const root = bytesOf(op.emptyDict, op.str('cmd'), evil, op.setItem, op.str('holder'), holder, op.setItem);
    const { tensors } = readPth(zipPth(pickle(root), { '0': six }));
    expect(Object.keys(tensors)).toEqual(['holder.weight']);
  });

  it('follows memo references and survives a list that contains itself', () => {
    const body = bytesOf(
      op.emptyList,
      op.put(0),
      op.get(0),
      op.append, // the list now contains itself
      tensorPickle({ name: 'w', key: '0', numel: 6, shape: [1] }),
      op.append,
    );
    expect(Object.keys(readPth(zipPth(pickle(body), { '0': six })).tensors)).toEqual(['1']);
  });

  it("drops an OrderedDict's BUILD state (its _metadata) instead of reading it as tensors' names", () => {
    const body = bytesOf(
      stateDictPickle([{ name: 'w', key: '0', numel: 6, shape: [1] }]),
      op.emptyDict,
      op.str('_metadata'),
      stateDictPickle([{ name: 'other', key: '0', numel: 6, shape: [1] }]),
      op.setItem,
      op.build,
    );
    expect(Object.keys(readPth(zipPth(pickle(body), { '0': six })).tensors)).toEqual(['w']);
  });

  it("reads an old legacy file's storage views (view_metadata) and refuses one past its storage", () => {
    const view = bytesOf(op.mark, op.str('v'), op.int(2), op.int(3), op.tuple);
    const object = pickle(stateDictPickle([{ name: 'w', key: '0', numel: 6, shape: [3] }], [view]));
    const file = legacyPth(object, [{ key: '0', elementSize: 4, data: six }]);
    expect(floats(readPth(file).tensors.w.data)).toEqual([2, 3, 4]);
    const past = bytesOf(op.mark, op.str('v'), op.int(5), op.int(3), op.tuple);
    const bad = legacyPth(pickle(stateDictPickle([{ name: 'w', key: '0', numel: 6, shape: [3] }], [past])), [{ key: '0', elementSize: 4, data: six }]);
    expect(() => readPth(bad)).toThrow(/view metadata that is not \(key, offset, size\) within the 6 elements/);
  });

  it('reads big-endian storages (a zip with byteorder "big") as little-endian', () => {
    const bigEndian = new Uint8Array(8);
    new DataView(bigEndian.buffer).setFloat32(0, 1.5, false);
    new DataView(bigEndian.buffer).setFloat32(4, -2, false);
    const file = zipSync(
      {
        'archive/data.pkl': pickle(stateDictPickle([{ name: 'w', key: '0', numel: 2, shape: [2] }])),
        'archive/byteorder': bytesOf('big'),
        'archive/data/0': bigEndian,
      },
      { level: 0 },
    );
    expect(floats(readPth(file).tensors.w.data)).toEqual([1.5, -2]);
  });

  it('reads the protocol 4 opcodes (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE) and a storage shared through the memo', () => {
    const short = (text: string) => bytesOf(0x8c, text.length, text);
    const stackGlobal = (module: string, name: string) => bytesOf(short(module), short(name), 0x93, 0x94);
    const storage = bytesOf(op.mark, short('storage'), stackGlobal('torch', 'FloatStorage'), short('0'), short('cpu'), op.int(6), op.tuple, op.persistentId, 0x94);
    // memo, in the order the first tensor stores them: 0 _rebuild_tensor_v2, 1 torch.FloatStorage, 2 the storage.
    const tensor = (offset: number, storageRef: Uint8Array, rebuild: Uint8Array) =>
      bytesOf(rebuild, op.mark, storageRef, op.int(offset), bytesOf(op.mark, op.int(2), op.tuple), bytesOf(op.mark, op.int(1), op.tuple), op.newFalse, op.none, op.tuple, op.reduce);
    const body = bytesOf(
      0x95, new Uint8Array(8), // FRAME with its 8-byte length (ignored)
      op.emptyDict,
      short('a'),
      tensor(0, storage, stackGlobal('torch._utils', '_rebuild_tensor_v2')),
      op.setItem,
      short('b'),
      tensor(4, op.get(2), op.get(0)),
      op.setItem,
    );
    const file = zipPth(bytesOf(0x80, 4, body, op.stop), { '0': six });
    const { tensors } = readPth(file);
    expect(floats(tensors.a.data)).toEqual([0, 1]);
    expect(floats(tensors.b.data)).toEqual([4, 5]);
  });
});
