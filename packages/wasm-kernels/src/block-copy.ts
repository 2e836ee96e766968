import * as tf from '@tensorflow/tfjs-core';

import { type WasmBackend, pointer } from './wasm-backend.js';

/**
 * Box copies between tensors on the wasm heap, what `Slice`, `SplitV` and `Concat` are made of: a box of
 * `size` at `fromBegin` in one tensor is copied to `toBegin` in another. Axes are merged wherever the box
 * is contiguous in both tensors, so a split along an outer axis is one `copyWithin`, and what is left is a
 * loop over contiguous runs. The backend's own kernels read the whole input out of the heap first
 * (`readSync` copies it) and copy one short run per `subarray().set()`, which is what made them slow.
 */

/** The dtypes copied here: 4-byte elements whose bits are copied as they are. */
export const BLOCK_COPY_DTYPES: readonly tf.DataType[] = ['float32', 'int32'];

/** Runs shorter than this are copied element by element: a `copyWithin` call costs more than that. */
const SHORT_RUN = 32;

/** One axis of a box: its length and its element strides in the source and the destination. */
interface Axis {
  size: number;
  from: number;
  to: number;
}

/** Row-major element strides of `shape`. */
function strides(shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  let stride = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = stride;
    stride *= shape[a];
  }
  return out;
}

/**
 * The box as few axes as possible, innermost last, the innermost with unit strides on both sides (a run
 * of contiguous elements, possibly of length 1). Size-1 axes are dropped; an axis is merged into the one
 * inside it when stepping it is the same as stepping past the whole inner axis, in both tensors.
 */
function simplify(size: number[], fromStrides: number[], toStrides: number[]): Axis[] {
  const axes: Axis[] = [];
  for (let a = size.length - 1; a >= 0; a--) {
    if (size[a] === 1) continue;
    const inner = axes[axes.length - 1];
    if (inner !== undefined && fromStrides[a] === inner.from * inner.size && toStrides[a] === inner.to * inner.size) {
      inner.size *= size[a];
    } else {
      axes.push({ size: size[a], from: fromStrides[a], to: toStrides[a] });
    }
  }
  axes.reverse();
  const last = axes[axes.length - 1];
  if (last === undefined || last.from !== 1 || last.to !== 1) axes.push({ size: 1, from: 1, to: 1 });
  return axes;
}

/** Copies the box `axes` from element `from` to element `to` of `heap` (the two never overlap). */
function copyAxes(heap: Int32Array, axes: Axis[], from: number, to: number): void {
  const run = axes[axes.length - 1].size;
  if (axes.length === 1) {
    heap.copyWithin(to, from, from + run);
    return;
  }
  // The axis just outside the runs is a plain loop; the ones outside it step like an odometer.
  const { size: rows, from: fromRow, to: toRow } = axes[axes.length - 2];
  const outer = axes.slice(0, -2);
  const index = new Array<number>(outer.length).fill(0);
  for (;;) {
    if (run >= SHORT_RUN) {
      for (let r = 0; r < rows; r++) heap.copyWithin(to + r * toRow, from + r * fromRow, from + r * fromRow + run);
    } else if (run === 1) {
      for (let r = 0, f = from, t = to; r < rows; r++, f += fromRow, t += toRow) heap[t] = heap[f];
    } else {
      for (let r = 0; r < rows; r++) {
        const f = from + r * fromRow;
        const t = to + r * toRow;
        for (let i = 0; i < run; i++) heap[t + i] = heap[f + i];
      }
    }
    let a = outer.length - 1;
    for (; a >= 0; a--) {
      from += outer[a].from;
      to += outer[a].to;
      if (++index[a] < outer[a].size) break;
      from -= outer[a].from * outer[a].size;
      to -= outer[a].to * outer[a].size;
      index[a] = 0;
    }
    if (a < 0) return;
  }
}

/**
 * Copies the box of `size` starting at index `fromBegin` of `source` to index `toBegin` of `target`
 * (same rank and dtype, one of `BLOCK_COPY_DTYPES`; the box must lie inside both). Takes the heap view
 * afresh, so it is safe to call right after allocating `target`.
 */
export function copyBox(
  backend: WasmBackend,
  source: tf.TensorInfo,
  fromBegin: number[],
  target: tf.TensorInfo,
  toBegin: number[],
  size: number[],
): void {
  if (size.some((length) => length === 0)) return;
  const fromStrides = strides(source.shape);
  const toStrides = strides(target.shape);
  // Int32 views for float32 too: element copies then keep every bit (NaN payloads included).
  let from = pointer(backend, source) / 4;
  let to = pointer(backend, target) / 4;
  for (let a = 0; a < size.length; a++) {
    from += fromBegin[a] * fromStrides[a];
    to += toBegin[a] * toStrides[a];
  }
  copyAxes(backend.wasm.HEAP32, simplify(size, fromStrides, toStrides), from, to);
}
