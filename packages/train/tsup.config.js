import { packageBuild } from '../../tooling/tsup.preset.js';

// The isomorphic core, and the Node adapters (files, signals, worker threads) as `@edet/train/node`.
export default packageBuild({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' } });
