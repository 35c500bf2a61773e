// Test videos made on the fly with ffmpeg (Debian's `ffmpeg`), so no binary fixture is committed.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What {@link makeVideo} encodes. */
export interface VideoSpec {
  container: 'mp4' | 'mov' | 'webm';
  seconds?: number;
  width?: number;
  height?: number;
  /** One flat colour (`#rrggbb`), so a poster frame's pixels can be checked. */
  color?: string;
}

/** Encodes a flat-colour video (H.264 in MP4/MOV, VP9 in WebM) with ffmpeg and returns its bytes. */
export async function makeVideo(spec: VideoSpec): Promise<Buffer> {
  const { container, seconds = 3, width = 640, height = 360, color = '#d02020' } = spec;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'test-video-'));
  try {
    const file = path.join(dir, `video.${container}`);
    const codec =
      container === 'webm'
        ? ['-c:v', 'libvpx-vp9', '-b:v', '200k', '-deadline', 'realtime']
        : ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
    await run('ffmpeg', [
      ...['-v', 'error', '-nostdin', '-f', 'lavfi'],
      ...['-i', `color=c=0x${color.slice(1)}:size=${width}x${height}:rate=25:duration=${seconds}`],
      ...codec,
      file,
    ]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
