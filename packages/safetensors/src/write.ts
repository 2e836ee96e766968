import * as tf from '@tensorflow/tfjs-core';

import { SafetensorsArgumentError, formatShape } from './errors.js';
import { describeValue } from './describe-value.js';
import { SAFETENSORS_DTYPE_SIZES } from './dtypes.js';
import { type SafetensorsWriteDtype, encodeTensorData } from './encode.js';

/** Options of `writeSafetensors` and `writeSafetensorsSync`. */
export interface WriteSafetensorsOptions {
  /** Strings stored under `__metadata__`; omitted from the file when absent or empty. */
  metadata?: Record<string, string>;
  /** How float32 tensors are stored. Default `'F32'`; F16 and BF16 round to nearest even. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** How int32 tensors are stored. Default `'I64'` (PyTorch's usual integer type). */
  intDtype?: 'I64' | 'I32';
  /**
   * Where `__metadata__` goes in the header. Default `'first'`, as the reference (Hugging Face) writer does;
   * `'last'` reproduces files whose writer appended it, such as the project's synthetic D0 checkpoint.
   * Readers accept either.
   */
  metadataPlacement?: 'first' | 'last';
}

/** Tensors to write, by name; a `Map` keeps integer-like names in insertion order too. */
export type SafetensorsInput = Record<string, tf.Tensor> | ReadonlyMap<string, tf.Tensor>;

interface PlannedTensor {
  name: string;
  tensor: tf.Tensor;
  dtype: SafetensorsWriteDtype;
  begin: number;
}

interface WritePlan {
  tensors: PlannedTensor[];
  output: Uint8Array;
  dataStart: number;
}

/**
 * Serialises tensors to safetensors bytes, reading their values with `await tensor.data()` (so GPU backends
 * do not block). Tensors are written in insertion order with contiguous buffers; the JSON header is compact
 * and padded with spaces to a multiple of 8 bytes, so the data area is 8-byte aligned.
 *
 * Ownership: the inputs are only read, never disposed; the caller still owns them. No tensors are created.
 *
 * @param tensors float32 tensors become F32/F16/BF16 (`options.dtype`), int32 become I64/I32
 *   (`options.intDtype`), bool become BOOL
 * @throws SafetensorsArgumentError for `tensors` that is not an object or Map of tensors, a value that is not
 *   a live tensor, another tensor dtype, the reserved name `__metadata__`, or a metadata value that is not a string
 */
export async function writeSafetensors(
  tensors: SafetensorsInput,
  options: WriteSafetensorsOptions = {},
): Promise<Uint8Array> {
  const plan = planWrite(tensors, options);
  for (const item of plan.tensors) {
    const values = (await item.tensor.data()) as Float32Array | Int32Array | Uint8Array;
    plan.output.set(encodeTensorData(values, item.dtype), plan.dataStart + item.begin);
  }
  return plan.output;
}

/**
 * Synchronous `writeSafetensors`: reads values with `tensor.dataSync()`, which stalls on GPU backends but
 * is fine on cpu and wasm. Same output, same ownership (inputs are not disposed).
 */
export function writeSafetensorsSync(tensors: SafetensorsInput, options: WriteSafetensorsOptions = {}): Uint8Array {
  const plan = planWrite(tensors, options);
  for (const item of plan.tensors) {
    const values = item.tensor.dataSync() as Float32Array | Int32Array | Uint8Array;
    plan.output.set(encodeTensorData(values, item.dtype), plan.dataStart + item.begin);
  }
  return plan.output;
}

// Everything but the tensor data depends only on names, dtypes and shapes, so the header and the whole output
// buffer are laid out first and the data is copied straight into place.
function planWrite(tensors: SafetensorsInput, options: WriteSafetensorsOptions): WritePlan {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors) || ArrayBuffer.isView(tensors)) {
    throw new SafetensorsArgumentError('tensors', 'an object or a Map of tensors by name', describeValue(tensors));
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SafetensorsArgumentError('options', 'an object', describeValue(options));
  }
  const metadataOption: unknown = options.metadata;
  if (metadataOption !== undefined && (metadataOption === null || typeof metadataOption !== 'object' || Array.isArray(metadataOption))) {
    throw new SafetensorsArgumentError('options.metadata', 'an object of strings', describeValue(metadataOption));
  }
  const floatDtype = options.dtype ?? 'F32';
  const intDtype = options.intDtype ?? 'I64';
  const placement = options.metadataPlacement ?? 'first';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) {
    throw new SafetensorsArgumentError('options.dtype', "'F32', 'F16' or 'BF16'", String(floatDtype));
  }
  if (!['I64', 'I32'].includes(intDtype)) {
    throw new SafetensorsArgumentError('options.intDtype', "'I64' or 'I32'", String(intDtype));
  }
  if (placement !== 'first' && placement !== 'last') {
    throw new SafetensorsArgumentError('options.metadataPlacement', "'first' or 'last'", String(placement));
  }

  const planned: PlannedTensor[] = [];
  const headerParts: string[] = [];
  let dataLength = 0;
  const named = tensors instanceof Map ? [...tensors] : Object.entries(tensors as Record<string, tf.Tensor>);
  for (const [name, tensor] of named) {
    if (name === '__metadata__') {
      throw new SafetensorsArgumentError('tensor name', 'any name but the reserved __metadata__', "'__metadata__'");
    }
    const dtype = writeDtype(tensor, floatDtype, intDtype);
    if (dtype === undefined) {
      throw new SafetensorsArgumentError(`tensors['${name}']`, 'a float32, int32 or bool tensor', describe(tensor));
    }
    if (tensor.isDisposed) {
      throw new SafetensorsArgumentError(`tensors['${name}']`, 'a live tensor', `a disposed tensor of shape ${formatShape(tensor.shape)}`);
    }
    const begin = dataLength;
    dataLength += tensor.size * SAFETENSORS_DTYPE_SIZES[dtype];
    planned.push({ name, tensor, dtype, begin });
    headerParts.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: tensor.shape, data_offsets: [begin, dataLength] })}`,
    );
  }

  const metadata = Object.entries(options.metadata ?? {});
  for (const [key, value] of metadata) {
    if (typeof value !== 'string') {
      throw new SafetensorsArgumentError(`options.metadata['${key}']`, 'a string', describeValue(value));
    }
  }
  if (metadata.length > 0) {
    const pairs = metadata.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    const part = `"__metadata__":{${pairs.join(',')}}`;
    if (placement === 'first') headerParts.unshift(part);
    else headerParts.push(part);
  }

  // Built by hand rather than with one JSON.stringify: an object would move integer-like names to the front.
  const json = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const dataStart = 8 + headerLength;
  const output = new Uint8Array(dataStart + dataLength);
  const view = new DataView(output.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  output.set(json, 8);
  output.fill(0x20, 8 + json.length, dataStart); // space padding, as the specification allows
  return { tensors: planned, output, dataStart };
}

function writeDtype(
  tensor: tf.Tensor,
  floatDtype: SafetensorsWriteDtype,
  intDtype: SafetensorsWriteDtype,
): SafetensorsWriteDtype | undefined {
  // A plain object with a dtype field is not a tensor: its values could not be read.
  if (!isTensorLike(tensor)) return undefined;
  switch (tensor.dtype) {
    case 'float32':
      return floatDtype;
    case 'int32':
      return intDtype;
    case 'bool':
      return 'BOOL';
    default:
      return undefined;
  }
}

function describe(tensor: tf.Tensor | undefined): string {
  return isTensorLike(tensor) ? `a ${tensor.dtype} tensor of shape ${formatShape(tensor.shape)}` : describeValue(tensor);
}

// Duck-typed rather than `instanceof tf.Tensor`, so that a tensor from a second copy of tfjs-core still counts.
function isTensorLike(value: unknown): value is tf.Tensor {
  const tensor = value as Partial<tf.Tensor> | null;
  return (
    tensor !== null &&
    typeof tensor === 'object' &&
    typeof tensor.dataSync === 'function' &&
    typeof tensor.data === 'function' &&
    Array.isArray(tensor.shape) &&
    typeof tensor.size === 'number'
  );
}
