import { packageBuild } from '../../tooling/tsup.preset.js';

export default packageBuild({ entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'gradient-worker': 'src/parallel/gradient-worker.ts' }, external: [/^@tensorflow\//, /^@edet\//, /^@napi-rs\//] });
