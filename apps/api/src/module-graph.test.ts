import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

describe('the built API module graph', () => {
  it('maps no libvips: the API imports the job contract, never sharp', async () => {
    // A fresh process imports the whole built app, then reports which shared libraries it has mapped.
    const script = `
      await import(${JSON.stringify(`${dist}app.module.js`)});
      const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
      process.stdout.write(JSON.stringify([...new Set(maps.match(/\\S+\\.so[.\\d]*/g) ?? [])]));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: dist,
      },
    );
    const libraries = JSON.parse(stdout) as string[];
    expect(libraries.length).toBeGreaterThan(0);
    expect(libraries.filter((lib) => /vips|sharp/i.test(lib))).toEqual([]);
  });
});
