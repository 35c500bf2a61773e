export { isPublicAddress } from './address-policy.js';
export type { Placeholder, ProcessResult, StoredVariant } from './image-job.js';
export {
  ID_PATTERN,
  extendImageJobSchema,
  imageJobRequestSchema,
  imageJobSchema,
  isValidId,
} from './image-job-schema.js';
export type { ImageJob, ImageJobRequest } from './image-job-schema.js';
export {
  FAILURE_MESSAGES,
  ImageProcessingError,
  isImageProcessingError,
} from './image-processing-error.js';
export type { ImageErrorCode } from './image-processing-error.js';
export { IMAGE_TOOLS, ImageTool, isImageTool } from './image-tool.js';
export type { SourcePolicy } from './source-policy.js';
export { sourcePolicyEnvShape } from './source-policy-env.js';
export { checkSourceUrl } from './source-url.js';
export { sniffImageFormat } from './sniff-format.js';
export { AI_DIGITAL_SOURCE_TYPE, hasC2paManifest, provenanceXmp } from './provenance.js';
export type { Provenance } from './provenance.js';
