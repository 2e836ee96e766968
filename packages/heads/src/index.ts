export * from './head-tower.js';
export * from './box-head.js';
export * from './class-head.js';
