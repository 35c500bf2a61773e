export { isPublicAddress } from './address-policy.js';
export { processResultJsonSchema, processResultSchema } from './image-job.js';
export type {
  NegotiatedVariant,
  Placeholder,
  ProcessResult,
  StoredVariant,
  VideoResult,
} from './image-job.js';
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
export { sourcePolicyEnv, sourcePolicyEnvShape } from './source-policy-env.js';
export type { SourcePolicyEnvShape } from './source-policy-env.js';
export { checkSourceUrl } from './source-url.js';
export { sniffImageFormat, sniffMediaFormat } from './sniff-format.js';
export type { SniffedFormat } from './sniff-format.js';
export {
  AI_DIGITAL_SOURCE_TYPE,
  C2paScanner,
  hasC2paManifest,
  provenanceXmp,
} from './provenance.js';
export type { Provenance } from './provenance.js';
export {
  BUILTIN_PRESET_SETS,
  DEFAULT_VARIANTS,
  FORMAT_INFO,
  PRESET_NAME,
  RESPONSIVE_VARIANTS,
  RESPONSIVE_WIDTHS,
  presetConfig,
  resolvePresetSet,
  validatePresetSet,
} from './variant-presets.js';
export type { PresetConfig, VariantFormat, VariantPreset } from './variant-presets.js';
export { presetEnvShape } from './preset-env.js';
export { srcsets } from './srcset.js';
export { ImagingError, badUrl } from './imaging-error.js';
export type { ImagingErrorCode } from './imaging-error.js';
export {
  parseImagingKeys,
  signImagingPath,
  signingKeyOf,
  verifyImagingSignature,
} from './imaging-keys.js';
export type { ImagingKey } from './imaging-keys.js';
export {
  DEFAULT_SPEC,
  OUTPUT_FORMATS,
  canonicalTransform,
  isOptionSegment,
  outputFormatOf,
  parseImagingPresets,
  parseTransformOptions,
} from './imaging-options.js';
export type {
  Gravity,
  GravityType,
  ImagingPresets,
  OptionLimits,
  OutputFormat,
  ResizingType,
  TransformSpec,
} from './imaging-options.js';
export { buildImagingPath, parseImagingPath, parseSourceRef, renderHash } from './imaging-url.js';
export type { ImagingPath, SourceRef } from './imaging-url.js';
export { DERIVED_ACCESS_KEY, DERIVED_SOURCES_KEY } from './imaging-cache.js';
