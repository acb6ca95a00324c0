import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { AuditRecord } from '../events/types.js';

/** A failure the command reports as one line, with its exit code (1: runtime, 2: usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/**
 * A command's arguments as `parse` reads them, checked the way every command checks them:
 * a parse error is a `CliError` (exit 2) followed by the help; `--help` prints the help and
 * gives undefined (the command exits 0); anything but one audit log is exit 2.
 */
export function commandArgs<P extends { values: { help?: boolean | undefined }; positionals: string[] }>(
  command: string,
  help: string,
  parse: () => P,
): P | undefined {
  let parsed: P;
  try {
    parsed = parse();
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message}\n\n${help}`, 2);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    return undefined;
  }
  if (parsed.positionals.length !== 1)
    throw new CliError(`${command}: expected one audit log, got ${parsed.positionals.length}\n\n${help}`, 2);
  return parsed;
}

/** An audit log read line by line: the records, and how far the reading has got. */
export interface AuditLog {
  records: AsyncIterable<AuditRecord>;
  /** File size in bytes. */
  size: number;
  /** Bytes read so far. */
  bytesRead(): number;
}

/**
 * Opens a JSONL audit log (one record per line, blank lines ignored) and streams it: memory
 * holds one line at a time. A missing file is a `CliError`; a line that is not a JSON
 * object with a `tenant` and a `timestamp` fails the iteration with its line number.
 */
export async function openAuditLog(path: string): Promise<AuditLog> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${path}: not a file`, 1);
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${(error as Error).message})`,
      1,
    );
  }
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  async function* records(): AsyncGenerator<AuditRecord> {
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    let number = 0;
    try {
      for await (const line of lines) {
        number++;
        if (line.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch (error) {
          throw new CliError(`${path}:${number}: not a JSON record (${(error as Error).message})`, 1);
        }
        if (
          typeof record !== 'object' ||
          record === null ||
          typeof (record as AuditRecord).tenant !== 'string' ||
          typeof (record as AuditRecord).timestamp !== 'number'
        ) {
          throw new CliError(`${path}:${number}: not an audit record (it needs a tenant and a timestamp)`, 1);
        }
        yield record as AuditRecord;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }
  return { records: records(), size, bytesRead: () => stream.bytesRead };
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(log: AuditLog): { update(records: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  return {
    update(records) {
      if (!tty) return;
      const share = log.size === 0 ? 1 : Math.min(1, log.bytesRead() / log.size);
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${records.toLocaleString('en-US')} records`,
      );
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** The default export of the ES module at `path` (a config); a missing or broken module is a CliError. */
export async function loadDefaultExport(path: string): Promise<unknown> {
  try {
    return (await import(pathToFileURL(resolve(path)).href)).default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(resolve(path))
        ? `${path}: no such file`
        : `${path}: the config module failed to load: ${(error as Error).message}`,
      1,
    );
  }
}
