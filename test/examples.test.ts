import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const examples = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts'));

// Every example is documentation that must keep running: offline, as a user runs it.
describe('examples', () => {
  it.each(examples)(
    '%s runs offline and exits 0',
    async (file) => {
      const env = { ...process.env };
      for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'MISTRAL_API_KEY']) delete env[key];
      const { stdout } = await run('npx', ['tsx', `examples/${file}`], { env, timeout: 60_000 });
      expect(stdout.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
