// The `--fixtures-command`: a shell command that provisions what a run needs and prints the fixtures as JSON.
// Node-only; used by the bin.
import { spawn } from 'node:child_process';
import type { CommandOutcome } from './types.js';

/** What one stream may hold; the rest is dropped. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Runs `command` in the system shell with `env` added to the environment, standard input closed, and collects
 * its output. Stopped (SIGTERM, then SIGKILL) after `timeoutInMilliseconds`.
 *
 * @example
 * ```ts
 * const outcome = await runShellCommand('./provision.sh', { GATEHOUSE_BASE_URL: 'http://127.0.0.1:3000' });
 * if (outcome.exitCode === 0) console.log(JSON.parse(outcome.stdout));
 * ```
 */
export function runShellCommand(command: string, env: Readonly<Record<string, string>>, options: { readonly timeoutInMilliseconds?: number; readonly cwd?: string } = {}): Promise<CommandOutcome> {
  const timeoutInMilliseconds = options.timeoutInMilliseconds ?? 300_000;
  return new Promise<CommandOutcome>((resolve, reject) => {
    // Its own process group (POSIX), so that stopping it stops what the shell started too.
    const group = process.platform !== 'win32';
    const child = spawn(command, {
      shell: true,
      detached: group,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const collect = (stream: NodeJS.ReadableStream | null): (() => string) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream?.on('data', (chunk: Buffer) => {
        if (size >= MAX_OUTPUT_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      return () => Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
    };
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const stop = (signal: NodeJS.Signals): void => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    let timedOut = false;
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      resolve({ exitCode, signal, stdout: stdout(), stderr: stderr(), timedOut });
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop('SIGTERM');
        timers.push(setTimeout(() => stop('SIGKILL'), 5_000));
      }, timeoutInMilliseconds),
    );
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      reject(error);
    });
    child.on('close', finish);
    // Something the command left running may keep its output open: once the command itself has exited, wait a
    // moment for the rest of its output, then take what came.
    child.on('exit', (exitCode, signal) => {
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(exitCode, signal);
        }, 1_000),
      );
    });
  });
}
