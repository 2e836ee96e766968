import { packageBuild } from '../../tooling/tsup.preset.js';

// The isomorphic core, the Node adapters (files, signals, worker threads) as `@edet/train/node`, and the
// script a Node gradient worker thread runs (found next to the built `node.js`).
export default packageBuild({ entry: { index: 'src/index.ts', node: 'src/node/index.ts', 'gradient-worker': 'src/node/gradient-worker.ts' } });
