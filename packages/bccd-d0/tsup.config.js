import { packageBuild } from '../../tooling/tsup.preset.js';

export default packageBuild({ entry: ['src/index.ts', 'src/node.ts'] });
