import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ImageProcessingError } from './contract/image-processing-error.js';
import type { ImageErrorCode } from './contract/image-processing-error.js';

/** Limits and tools for video sources. */
export interface VideoSettings {
  ffmpegPath: string;
  ffprobePath: string;
  /** Longest video accepted, in seconds. */
  maxSeconds: number;
  /** Largest frame in pixels. */
  maxPixels: number;
  /** Seconds one ffprobe or ffmpeg run may take. */
  timeoutSeconds: number;
  /** Video codecs accepted (ffprobe's `codec_name`). */
  codecs: readonly string[];
  /** Address space one ffmpeg process may use (enforced with `prlimit` where it exists). */
  memoryBytes: number;
}

/** Containers accepted, by sniffed extension, with the demuxer ffmpeg is told to use (never its own guess). */
export const VIDEO_CONTAINERS: Readonly<Record<string, { demuxer: string; mime: string }>> = {
  mp4: { demuxer: 'mov', mime: 'video/mp4' },
  mov: { demuxer: 'mov', mime: 'video/quicktime' },
  webm: { demuxer: 'matroska', mime: 'video/webm' },
};

/** What ffprobe says of a video. */
export interface VideoProbe {
  durationSeconds: number;
  width: number;
  height: number;
  codec: string;
}

const PRLIMIT = '/usr/bin/prlimit';
const STDERR_KEPT = 4096;

/**
 * Runs a tool without a shell, reading only local files (`-protocol_whitelist file`, a forced demuxer), with
 * a timeout, a cap on its output and on its memory; resolves with stdout.
 */
function run(
  command: string,
  args: readonly string[],
  settings: VideoSettings,
  maxOutput: number,
  signal?: AbortSignal,
): Promise<{ stdout: Buffer; stderr: string }> {
  const limited = existsSync(PRLIMIT);
  const file = limited ? PRLIMIT : command;
  const argv = limited ? [`--as=${settings.memoryBytes}`, '--', command, ...args] : [...args];
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills whatever it started too.
    const child = spawn(file, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: ImageProcessingError | undefined;
    const stop = (error: ImageProcessingError) => {
      failure ??= error;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () =>
        stop(
          new ImageProcessingError(
            'E_TIMEOUT',
            `Video processing exceeded ${settings.timeoutSeconds}s`,
          ),
        ),
      settings.timeoutSeconds * 1000,
    );
    const onAbort = () => stop(new ImageProcessingError('E_TIMEOUT', 'Video processing aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) stop(corrupt(`${command} wrote more than ${maxOutput} bytes`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8').slice(0, STDERR_KEPT);
    });
    child.once('error', (error) => {
      failure ??= new ImageProcessingError(
        'E_INTERNAL',
        `Cannot run ${command}: ${error.message}`,
        {
          cause: error,
        },
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (failure) return reject(failure);
      if (code !== 0)
        return reject(corrupt(`${command} failed: ${stderr.trim() || `exit ${code}`}`));
      resolve({ stdout: Buffer.concat(chunks, size), stderr });
    });
  });
}

const corrupt = (message: string, code: ImageErrorCode = 'E_CORRUPT_VIDEO') =>
  new ImageProcessingError(code, message);

/**
 * Probes a video file: duration, frame size and codec of its first video stream, checked against the limits.
 * Any error ffprobe reports (truncated, malformed) refuses the file, like `failOn: 'warning'` for images.
 *
 * @throws {ImageProcessingError} `E_CORRUPT_VIDEO`, `E_UNSUPPORTED_FORMAT` (codec), `E_VIDEO_TOO_LONG`,
 * `E_TOO_MANY_PIXELS` or `E_TIMEOUT`.
 */
export async function probeVideo(
  file: string,
  demuxer: string,
  settings: VideoSettings,
  signal?: AbortSignal,
): Promise<VideoProbe> {
  const { stdout, stderr } = await run(
    settings.ffprobePath,
    [
      ...['-v', 'error', '-protocol_whitelist', 'file', '-f', demuxer],
      ...['-print_format', 'json', '-show_entries'],
      'format=duration:stream=codec_type,codec_name,width,height',
      ...['-i', `file:${file}`],
    ],
    settings,
    1024 * 1024,
    signal,
  );
  if (stderr.trim()) throw corrupt(`The video is malformed: ${stderr.trim().split('\n')[0]}`);
  let parsed: {
    format?: { duration?: string };
    streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
  };
  try {
    parsed = JSON.parse(stdout.toString('utf8'));
  } catch {
    throw corrupt('ffprobe gave no readable answer');
  }
  const stream = parsed.streams?.find((s) => s.codec_type === 'video');
  const durationSeconds = Number(parsed.format?.duration);
  if (!stream?.width || !stream.height || !stream.codec_name)
    throw corrupt('The file has no readable video stream');
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
    throw corrupt('The video has no duration');
  if (!settings.codecs.includes(stream.codec_name))
    throw corrupt(`Video codec ${stream.codec_name} is not accepted`, 'E_UNSUPPORTED_FORMAT');
  if (durationSeconds > settings.maxSeconds)
    throw corrupt(
      `The video lasts ${durationSeconds.toFixed(1)} s, more than ${settings.maxSeconds} s`,
      'E_VIDEO_TOO_LONG',
    );
  if (stream.width * stream.height > settings.maxPixels)
    throw corrupt(
      `Video frames are ${stream.width}x${stream.height}, more than ${settings.maxPixels} pixels`,
      'E_TOO_MANY_PIXELS',
    );
  return { durationSeconds, width: stream.width, height: stream.height, codec: stream.codec_name };
}

/** When the poster frame is taken: one second in, or half-way through a shorter video. */
export function posterTime(durationSeconds: number): number {
  return Math.round(Math.min(1, durationSeconds / 2) * 1000) / 1000;
}

/**
 * Extracts one frame as PNG (display orientation, as ffmpeg applies the stream's rotation).
 *
 * @throws {ImageProcessingError} `E_CORRUPT_VIDEO` when no frame can be decoded, or `E_TIMEOUT`.
 */
export async function extractPoster(
  file: string,
  demuxer: string,
  atSeconds: number,
  settings: VideoSettings,
  signal?: AbortSignal,
): Promise<Buffer> {
  const { stdout } = await run(
    settings.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', '-xerror', '-threads', '1'],
      ...['-protocol_whitelist', 'file', '-f', demuxer, '-ss', String(atSeconds)],
      ...['-i', `file:${file}`, '-map', '0:v:0', '-frames:v', '1', '-an', '-sn', '-dn'],
      ...['-f', 'image2pipe', '-c:v', 'png', 'pipe:1'],
    ],
    settings,
    settings.maxPixels * 8 + 1024 * 1024,
    signal,
  );
  if (stdout.length === 0) throw corrupt('No frame could be decoded from the video');
  return stdout;
}
