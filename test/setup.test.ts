import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs test/support/missing-sdk.ts in a fresh process, with the module hook's settings. */
async function child(env: Record<string, string>) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', './test/support/hide-packages.mjs', 'test/support/missing-sdk.ts'],
    { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('provider SDKs at start-up', () => {
  it('finds a configured provider whose SDK is not installed with one invalid_config naming the package and the install command, never as a provider failure', async () => {
    const report = await child({ HIDE_PACKAGES: '@anthropic-ai/sdk' });
    const expected = {
      code: 'invalid_config',
      message:
        "providers.anthropic cannot be used: the '@anthropic-ai/sdk' package is not installed: npm install @anthropic-ai/sdk",
    };
    expect(report.ready).toEqual(expected);
    // Every call is refused with it, streamed or not: no retry, no breaker, no request sent.
    expect(report.call).toEqual(expected);
    expect(report.stream).toEqual(expected);
    expect(report.requests).toBe(0);
    expect(report.audits).toEqual(['invalid_config', 'invalid_config']);
  });

  it('names every entry that cannot be used in the one error', async () => {
    const report = await child({ HIDE_PACKAGES: '@anthropic-ai/sdk,@mistralai/mistralai' });
    expect(report.ready.message).toContain('providers.anthropic cannot be used');
    expect(report.ready.message).toContain('npm install @mistralai/mistralai');
  });

  it('loads the SDKs before the first call, so a slow import is never timed as provider latency', async () => {
    const report = await child({ SLOW_PACKAGES: '@anthropic-ai/sdk,openai', SLOW_MS: '1500' });
    expect(report).toMatchObject({ call: 'ok', ready: 'ok', stream: 'ok', requests: 2 });
    // The import took 1.5 s; the attempts on loopback take milliseconds.
    for (const latency of report.attemptLatencyMs) expect(latency).toBeLessThan(750);
  });
});

describe('emu.providers and optional cloud SDKs', () => {
  it('has an entry for each cloud type whose SDK is installed, so a router on all of them always answers', async () => {
    const run = async (hide: string) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          './test/support/hide-packages.mjs',
          'test/support/emulator-providers.ts',
        ],
        { cwd: root, env: { ...process.env, HIDE_PACKAGES: hide }, timeout: 30_000 },
      );
      return JSON.parse(stdout.trim().split('\n').at(-1)!);
    };
    const without = await run('@google/genai,@anthropic-ai/bedrock-sdk,@anthropic-ai/vertex-sdk');
    expect(without).toEqual({ entries: ['anthropic', 'azure', 'mistral', 'openai'], call: 'ok' });
    const all = await run('');
    expect(all).toEqual({
      entries: ['anthropic', 'azure', 'bedrock', 'gemini', 'mistral', 'openai', 'vertex'],
      call: 'ok',
    });
  }, 60_000);
});
