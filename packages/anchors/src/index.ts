export * from './anchors.js';
export * from './box-format.js';
export * from './box-coding.js';
export * from './clip.js';
export * from './iou.js';
export * from './nms.js';
export * from './postprocess.js';
export * from './map-to-original.js';
