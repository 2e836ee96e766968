// Importing the package registers the webgl backend with tfjs.
import '@tensorflow/tfjs-backend-webgl';

import type { BackendLoader } from './backend-loader.js';

/** tfjs's WebGL backend (browsers). Pass it to `useBackend`. */
export const webgl: BackendLoader = { name: 'webgl' };
