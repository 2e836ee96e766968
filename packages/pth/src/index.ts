// PyTorch .pth checkpoints (zip and legacy formats) read from plain bytes, for Node and browsers alike.
export { PthError, PthArgumentError } from './errors.js';
export { type PthDtype, PTH_DTYPE_SIZES } from './pickle-values.js';
export { type PthTensor } from './materialize.js';
export { type ReadPthOptions, type PthContents, readPth, isPthFile } from './read.js';
export { type PthToSafetensorsOptions, encodeSafetensors, pthToSafetensors } from './to-safetensors.js';
export { MAX_PICKLE_NESTING } from './pickle.js';
export { MAX_STATE_NESTING } from './state-dict.js';
