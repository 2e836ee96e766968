// safetensors reading and writing on plain bytes (Uint8Array), for Node and browsers alike.
export { SafetensorsError, SafetensorsFormatError, SafetensorsArgumentError } from './errors.js';
export { type SafetensorsDtype, SAFETENSORS_DTYPE_SIZES } from './dtypes.js';
export {
  type SafetensorsEntry,
  type SafetensorsHeader,
  type ReadSafetensorsOptions,
  readSafetensorsHeader,
  readSafetensorsMetadata,
  SAFETENSORS_MAX_HEADER_LENGTH,
  SAFETENSORS_MAX_HEADER_DEPTH,
} from './header.js';
export { type ParsedSafetensors, parseSafetensors, isParsedSafetensors, checkSafetensorsFile } from './parse.js';
export { type SafetensorsContents, type ReadTensorsOptions, readSafetensors } from './read.js';
export {
  type SafetensorsInput,
  type WriteSafetensorsOptions,
  writeSafetensors,
  writeSafetensorsSync,
} from './write.js';
