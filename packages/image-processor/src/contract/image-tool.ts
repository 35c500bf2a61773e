/** AI tools whose output is post-processed; values are the `processed/<tool>/` folder names. */
export enum ImageTool {
  DALL_E = 'dall-e',
  SORA = 'sora',
  STABLE_DIFFUSION = 'stable-diffusion',
}

/** Every registered tool value. */
export const IMAGE_TOOLS: readonly ImageTool[] = Object.values(ImageTool);

/** True when `value` is a registered {@link ImageTool}. */
export function isImageTool(value: unknown): value is ImageTool {
  return typeof value === 'string' && (IMAGE_TOOLS as readonly string[]).includes(value);
}
