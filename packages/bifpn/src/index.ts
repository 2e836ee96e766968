export * from './topology.js';
export * from './lateral-projection.js';
export * from './bifpn-layer.js';
export * from './bifpn.js';
