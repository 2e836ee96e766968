import { PthError } from './errors.js';
import { PTH_DTYPE_SIZES, type PthDtype, type TensorReference } from './pickle-values.js';

/** One tensor of a checkpoint, contiguous, little-endian: what a safetensors file stores for it. */
export interface PthTensor {
  /** Element type, by its safetensors name (`F32` for `torch.float32`, `I64` for `torch.int64`...). */
  dtype: PthDtype;
  /** Dimensions, outermost first (`[]` for a scalar). */
  shape: number[];
  /** The elements in row-major order, little-endian, `product(shape) * bytes per element` bytes (own copy). */
  data: Uint8Array;
}

/**
 * Copies a tensor view (offset, size, stride over a storage) out into a contiguous, row-major tensor.
 * Non-contiguous views (transposes, slices, expanded dimensions) are copied element by element.
 *
 * @param storage the storage's bytes (little-endian), exactly `numel * element size` long or longer
 * @param maxBytes the largest tensor the file can account for; larger is an error, before any allocation
 * @throws PthError when the view reaches past the storage or is larger than `maxBytes`
 */
export function materializeTensor(
  name: string,
  tensor: TensorReference,
  storage: Uint8Array,
  source: string,
  maxBytes: number,
): PthTensor {
  const { dtype } = tensor.storage;
  const size = PTH_DTYPE_SIZES[dtype];
  const { shape, stride, offset } = tensor;
  const fail = (problem: string): never => {
    throw new PthError(source, `tensor '${name}' (size [${shape}], stride [${stride}], offset ${offset}): ${problem}`);
  };
  let count = 1;
  for (const dimension of shape) count *= dimension;
  if (count * size > maxBytes) fail(`${count} elements are more than the file can account for`);
  const storageElements = Math.floor(storage.length / size);
  if (count > 0) {
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
    if (last >= storageElements) {
      fail(`reaches element ${last} of a storage of ${storageElements} elements (the storage is shorter than its tensors)`);
    }
  }
  const data = new Uint8Array(count * size);
  if (count === 0) return { dtype, shape: [...shape], data };
  if (isContiguous(shape, stride)) {
    data.set(storage.subarray(offset * size, (offset + count) * size));
    return { dtype, shape: [...shape], data };
  }
  // Odometer over the output indices; `from` follows in storage elements.
  const index = new Array<number>(shape.length).fill(0);
  let from = offset;
  for (let out = 0; out < count; out++) {
    data.set(storage.subarray(from * size, (from + 1) * size), out * size);
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      from += stride[d];
      if (index[d] < shape[d]) break;
      from -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return { dtype, shape: [...shape], data };
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}
