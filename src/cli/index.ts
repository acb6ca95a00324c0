#!/usr/bin/env node
// The `routeplane` command (package.json "bin"): `replay` and `report` over an audit log.
import { CliError } from './jsonl.js';

const HELP = `Usage: routeplane <command> [options]

Commands:
  replay <audit.jsonl> --config <proposed.config.mjs> [--json | --html FILE]
      what a proposed policy would have done with the logged calls (no provider is called)
  report <audit.jsonl> -o <report.html>
      the log as one self-contained HTML page, per tenant

Run 'routeplane <command> --help' for a command's options.
Exit codes: 0 done, 1 runtime error (unreadable log or config), 2 usage error.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? process.stderr : process.stdout).write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'replay') return (await import('./replay.js')).runReplay(rest);
  if (command === 'report') return (await import('./report.js')).runReport(rest);
  throw new CliError(`unknown command '${command}'\n\n${HELP}`, 2);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`routeplane: ${error.message.trimEnd()}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `routeplane: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
