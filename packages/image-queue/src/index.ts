export { imageJobDataSchema } from './image-job-data.js';
export type { ImageJobData } from './image-job-data.js';
export {
  DEFAULT_IMAGE_QUEUE,
  IMAGE_JOB_NAME,
  formatFailure,
  imageJobOptions,
  limitsPrefix,
  maintenanceQueueName,
  parseFailure,
  publicFailure,
  toImageJobStatus,
} from './image-queue-contract.js';
export type { ImageJobStatus } from './image-queue-contract.js';
