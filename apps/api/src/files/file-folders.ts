import { IMAGE_TOOLS, isImageTool } from '@monorepo/image-processor/contract';
import { jobOutputPrefix, uploadPrefix } from '@monorepo/storage';
import { ApiError } from '../http/api-error.js';

/** The folders `GET /v1/files?folder=` lists: the caller's uploads, or their job outputs of one tool. */
export const FILE_FOLDERS = ['uploads', 'outputs'] as const;

/** One of {@link FILE_FOLDERS}. */
export type FileFolder = (typeof FILE_FOLDERS)[number];

/**
 * The storage prefix a listing of `folder` (default `uploads`) covers: `uploads/<user>/`, or for `outputs`
 * `processed/<tool>/<user>/` (the caller's own, always; `tool` is then required).
 *
 * @throws {ApiError} `E_VALIDATION` for an unknown folder or tool, or a tool without `folder=outputs`.
 */
export function listedFolderPrefix(
  userId: string,
  folder: string | undefined,
  tool: string | undefined,
): string {
  if (folder === undefined || folder === 'uploads') {
    if (tool !== undefined) throw new ApiError('E_VALIDATION', 'tool goes with folder=outputs');
    return uploadPrefix(userId);
  }
  if (folder !== 'outputs')
    throw new ApiError('E_VALIDATION', `folder must be one of ${FILE_FOLDERS.join(', ')}`);
  if (!isImageTool(tool))
    throw new ApiError(
      'E_VALIDATION',
      `folder=outputs needs tool, one of ${IMAGE_TOOLS.join(', ')}`,
    );
  // The job segment is what `prefix` adds: jobOutputPrefix with an empty job, less its trailing slash.
  return jobOutputPrefix(tool, userId, '').slice(0, -1);
}
