export * from './contract/index.js';
export { configureSharp } from './configure-sharp.js';
export type { SharpSettings } from './configure-sharp.js';
export { ImageProcessor } from './image-processor.js';
export type { ImageProcessorOptions, ProcessOptions } from './image-processor-options.js';
