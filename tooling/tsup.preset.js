// Shared tsup settings: every package ships ESM plus type declarations.
/** @param {Partial<import('tsup').Options>} overrides */
export function packageBuild(overrides = {}) {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Peer and workspace dependencies stay external so that one tfjs engine is shared.
    external: [/^@tensorflow\//, /^@edet\//],
    ...overrides,
  };
}
