/**
 * A real redis-server for the Redis tests: started on a free loopback port with no
 * persistence (or, with `persist`, an append-only file in a temporary directory), stopped
 * after. Without redis-server the tests are skipped with a message, unless REQUIRE_REDIS=1
 * (CI), which makes its absence a failure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

if (!hasRedisServer) {
  const message =
    'redis-server not found: the Redis tests need it (apt-get install -y redis-server, or brew install redis)';
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`${message}; REQUIRE_REDIS=1 makes this a failure`);
  console.warn(`${message}; skipping them (set REQUIRE_REDIS=1 to fail instead)`);
}

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /**
   * Keep the data across a restart, even after SIGKILL: an append-only file written before
   * each reply (`appendfsync always`), in a temporary directory removed by `close()`.
   * Default false: no persistence, a restart is empty.
   */
  persist?: boolean;
}

/** Servers running, killed if the test process exits before stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

export interface RedisServer {
  port: number;
  /** The running server's process id (undefined while stopped). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) and waits for it to exit: a crash. */
  kill(): Promise<void>;
  /** Stops the server's process (SIGSTOP): it holds every connection and answers nothing. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Starts it again on the same port: empty, or with its data when `persist`. */
  start(): Promise<void>;
  /** A client that fails fast while disconnected, as the README recommends. */
  client(): Promise<Redis>;
  /** Quits every client made by `client()` and stops the server. */
  close(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  let port = await freePort();
  let child: ChildProcess | undefined;
  const clients: Redis[] = [];
  const dir = options.persist ? mkdtempSync(join(tmpdir(), 'routeplane-redis-')) : undefined;
  const persistence = dir
    ? ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];

  /** Starts redis-server on `port`; false when the port turned out to be another server's. */
  const launch = async (): Promise<boolean> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], {
      stdio: 'ignore',
    });
    child = proc;
    running.add(proc);
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      running.delete(proc);
    });
    const deadline = Date.now() + 5_000;
    for (;;) {
      const pid = await serverPid(port);
      // Ours, or another server already on the port (a free-port race with a parallel test file).
      if (pid === proc.pid) return true;
      if (pid !== undefined || exited) {
        await stop();
        return false;
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 5 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const start = async () => {
    if (!(await launch())) throw new Error(`port ${port} is taken by another process`);
  };
  const end = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
      // A paused server handles SIGTERM only once it runs again.
      proc.kill('SIGCONT');
    });
  };
  const stop = () => end('SIGTERM');

  for (let attempt = 0; !(await launch()); attempt++) {
    if (attempt === 5) throw new Error('could not start redis-server on a free port');
    port = await freePort();
  }
  return {
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    kill: () => end('SIGKILL'),
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async client() {
      const redis = new Redis({
        port,
        host: '127.0.0.1',
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 50,
      });
      redis.on('error', () => {});
      clients.push(redis);
      if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
      return redis;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The process id of the Redis server answering on `port` (INFO server), if any. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(500, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (data) => {
      text += data.toString();
      const match = /process_id:(\d+)/.exec(text);
      if (match) done(Number(match[1]));
    });
  });
}
