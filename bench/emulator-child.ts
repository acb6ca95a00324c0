/**
 * Starts bench/emulator-process.mjs (the built emulator in a process of its own) and talks to
 * it over the `fork()` IPC channel. For the loopback benchmarks: the clients measured keep
 * their process and event loop to themselves.
 */
import { type ChildProcess, fork } from 'node:child_process';

/** What the emulator process saw between two resets. */
export interface EmulatorSpan {
  /** Requests received. */
  requests: number;
  /** Their upstream models, each once. */
  models: string[];
  /** The emulator process's CPU time, user + system, µs. */
  cpuUs: number;
  /** The emulator process's event-loop utilisation, 0–1. */
  elu: number;
}

export interface EmulatorProcess {
  readonly pid: number;
  readonly providers: { openai: { apiKey: string; baseURL: string } };
  /** What the emulator saw since the last reset; clears its request log. */
  reset(): Promise<EmulatorSpan>;
  close(): Promise<void>;
}

const script = new URL('./emulator-process.mjs', import.meta.url);
const live = new Set<ChildProcess>();
let hooked = false;

/** Starts an emulator process with the given latency; resolves once it listens. */
export async function startEmulatorProcess(options: {
  latencyMs: number;
  perTokenMs: number;
}): Promise<EmulatorProcess> {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const child of live) child.kill('SIGTERM');
    });
  }
  // Plain node: none of the parent's flags (tsx's loader, --cpu-prof, --inspect) reach it.
  const child = fork(script, [JSON.stringify(options)], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));

  const pending = new Map<number, (span: EmulatorSpan) => void>();
  let nextId = 0;
  const ready = new Promise<{ pid: number; providers: EmulatorProcess['providers'] }>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`emulator process exited (${code ?? signal})`)));
    child.on('message', (message: { type: string; id?: number } & Record<string, unknown>) => {
      if (message.type === 'ready') resolve(message as never);
      else if (message.type === 'reset') {
        pending.get(message.id!)?.(message as unknown as EmulatorSpan);
        pending.delete(message.id!);
      }
    });
  });
  const { pid, providers } = await ready;
  return {
    pid,
    providers,
    reset: () =>
      new Promise<EmulatorSpan>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'reset', id });
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
