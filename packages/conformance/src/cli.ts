#!/usr/bin/env node
// The `gatehouse-conformance` bin: Node's files, streams, the HTTP drivers, module loading (`--scheme`) and a shell
// (`--fixtures-command`) wired into runCli (src/cli/main.ts), where the logic lives and is tested.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createHttpDriver } from './http/index.js';
import { runShellCommand } from './cli/command.js';
import { runCli } from './cli/main.js';
import { importSchemeModule } from './cli/modules.js';

function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

// `gatehouse-conformance list … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const isTTY = process.stdout.isTTY === true;
const noColor = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';

process.exitCode = await runCli(
  process.argv.slice(2),
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY,
    color: isTTY && !noColor,
    readFile: (path) => readFile(path, 'utf8'),
    writeFile: (path, text) => writeFile(path, text, 'utf8'),
  },
  {
    http: { createHttpDriver },
    loadModule: (specifier) => importSchemeModule(specifier, process.cwd()),
    runCommand: (command, env) => runShellCommand(command, env),
    version: packageVersion(),
  },
);
