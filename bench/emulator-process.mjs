/**
 * The emulator (routeplane/testing, built) in a process of its own, for bench/peers.ts, so
 * that it does not share the clients' event loop. Started with `fork()`; the options come
 * as one JSON argument (`{"latencyMs": 0, "perTokenMs": 0}`). Over the IPC channel:
 *
 * - it sends `{ type: 'ready', pid, providers: { openai: { apiKey, baseURL } } }` once listening;
 * - `{ type: 'reset', id }` answers `{ type: 'reset', id, requests, models, cpuUs, elu }`
 *   (requests received since the last reset, their upstream models, this process's CPU time
 *   in µs, user + system, and its event-loop utilisation, 0–1, over the same span), then
 *   clears the emulator's log;
 * - `{ type: 'close' }` closes the emulator and exits. So does a parent that goes away.
 *
 * It runs as plain `node` (no TypeScript loader, no inspector): the emulator should be the
 * fastest part of the benchmark, not what it measures.
 */
import { performance } from 'node:perf_hooks';

const { createEmulator } = await import(new URL('../dist/testing/index.js', import.meta.url).href);

const options = JSON.parse(process.argv[2] ?? '{}');
const emu = await createEmulator({ latencyMs: options.latencyMs ?? 0, perTokenMs: options.perTokenMs ?? 0 });

let cpu = process.cpuUsage();
let elu = performance.eventLoopUtilization();

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await emu.close();
  process.exit(0);
};

process.on('message', (message) => {
  if (message?.type === 'reset') {
    const cpuNow = process.cpuUsage(cpu);
    const eluNow = performance.eventLoopUtilization(elu);
    const models = [...new Set(emu.requests.map((r) => r.model))];
    const requests = emu.requests.length;
    emu.reset();
    process.send?.({
      type: 'reset',
      id: message.id,
      requests,
      models,
      cpuUs: cpuNow.user + cpuNow.system,
      elu: eluNow.utilization,
    });
    cpu = process.cpuUsage();
    elu = performance.eventLoopUtilization();
  } else if (message?.type === 'close') {
    void close();
  }
});
process.on('disconnect', () => void close());

process.send?.({
  type: 'ready',
  pid: process.pid,
  providers: { openai: { apiKey: emu.providers.openai.apiKey, baseURL: emu.providers.openai.baseURL } },
});
