import { packageBuild } from '../../tooling/tsup.preset.js';

export default packageBuild({ entry: { index: 'src/index.ts', cli: 'src/cli.ts' }, external: [/^@tensorflow\//, /^@edet\//, /^@napi-rs\//] });
