// Writes test-timings.json beside test-results.json: each test file's wall time with its hooks (starting and
// stopping servers is most of it, and vitest's JSON report leaves hooks out), for test-summary.mjs's list of the
// slowest files.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export class TimingsReporter {
  #files = [];
  #root = process.cwd();

  onInit(vitest) {
    this.#root = vitest.config.root;
  }

  onTestModuleEnd(testModule) {
    const { duration, collectDuration, setupDuration, prepareDuration } = testModule.diagnostic();
    this.#files.push({
      file: path.relative(this.#root, testModule.moduleId),
      project: testModule.project.name || undefined,
      ms: Math.round(duration + collectDuration + setupDuration + prepareDuration),
    });
  }

  onTestRunEnd() {
    writeFileSync(
      path.join(this.#root, 'test-timings.json'),
      `${JSON.stringify(
        this.#files.sort((a, b) => b.ms - a.ms),
        null,
        2,
      )}\n`,
    );
  }
}
