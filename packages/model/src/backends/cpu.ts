// Importing the package registers the cpu backend with tfjs.
import '@tensorflow/tfjs-backend-cpu';

import type { BackendLoader } from './backend-loader.js';

/** tfjs's plain-JavaScript backend: slow, but runs everywhere. Pass it to `useBackend`. */
export const cpu: BackendLoader = { name: 'cpu' };
