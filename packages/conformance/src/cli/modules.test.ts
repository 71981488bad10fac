// Where `--scheme` finds a module (files, installed packages by their `exports`, a package's own name) and how
// `--fixtures-command` runs: real files and a real shell, no server.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runShellCommand } from './command.js';
import { importSchemeModule, isPathSpecifier, resolveSchemeModule } from './modules.js';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-modules-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  return full;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

write('app/sub/.keep', '');
write('app/scheme.mjs', "export default { profile: { id: 'file@1' } };\n");
write(
  'node_modules/@acme/widget/package.json',
  json({
    name: '@acme/widget',
    type: 'module',
    exports: {
      '.': { types: './index.d.ts', import: './dist/index.js', require: './dist/index.cjs' },
      './conformance': { types: './conformance.d.ts', require: './dist/conformance.cjs', import: './dist/conformance.js' },
      './schemes/*': { default: './dist/schemes/*.js' },
      './internal/*': null,
      './package.json': './package.json',
    },
  }),
);
write('node_modules/@acme/widget/dist/conformance.js', "export const conformanceSchemes = [{ profile: { id: 'widget@1' } }];\n");
write('node_modules/legacy/package.json', json({ name: 'legacy', main: 'lib/main.js' }));
write('node_modules/sugar/package.json', json({ name: 'sugar', exports: './sugar.js' }));
write('self/package.json', json({ name: '@acme/self', exports: { './conformance': './dist/conformance.js' } }));

describe('resolveSchemeModule', () => {
  it('tells file paths from package names', () => {
    for (const path of ['./x.js', '../x.mjs', '/abs/x.js', 'dist/conformance.js', 'C:\\x\\y.js']) expect(isPathSpecifier(path), path).toBe(true);
    for (const name of ['@acme/widget', '@acme/widget/conformance', 'widget', 'widget/sub']) expect(isPathSpecifier(name), name).toBe(false);
  });

  it('resolves a file path against the directory it is run from, and imports it', async () => {
    expect(resolveSchemeModule('./scheme.mjs', join(root, 'app'))).toBe(join(root, 'app/scheme.mjs'));
    const namespace = (await importSchemeModule('./scheme.mjs', join(root, 'app'))) as { default: { profile: { id: string } } };
    expect(namespace.default.profile.id).toBe('file@1');
    expect(() => resolveSchemeModule('./nope.js', join(root, 'app'))).toThrow(/no file .*nope\.js/);
    expect(() => resolveSchemeModule('./sub', join(root, 'app'))).toThrow(/is a folder: name the module file/);
  });

  it('resolves an installed package from the directory upwards, by its exports (import condition, in order)', async () => {
    const from = join(root, 'app/sub');
    expect(resolveSchemeModule('@acme/widget/conformance', from)).toBe(join(root, 'node_modules/@acme/widget/dist/conformance.js'));
    expect(resolveSchemeModule('@acme/widget', from)).toBe(join(root, 'node_modules/@acme/widget/dist/index.js'));
    expect(resolveSchemeModule('@acme/widget/schemes/key', from)).toBe(join(root, 'node_modules/@acme/widget/dist/schemes/key.js'));
    expect(resolveSchemeModule('sugar', from)).toBe(join(root, 'node_modules/sugar/sugar.js'));
    expect(resolveSchemeModule('legacy', from)).toBe(join(root, 'node_modules/legacy/lib/main.js'));
    const namespace = (await importSchemeModule('@acme/widget/conformance', from)) as { conformanceSchemes: { profile: { id: string } }[] };
    expect(namespace.conformanceSchemes[0]?.profile.id).toBe('widget@1');
  });

  it('resolves a package by its own name from inside it', () => {
    expect(resolveSchemeModule('@acme/self/conformance', join(root, 'self'))).toBe(join(root, 'self/dist/conformance.js'));
  });

  it('says what is missing: a subpath not exported, a package not installed', () => {
    expect(() => resolveSchemeModule('@acme/widget/internal/x', root)).toThrow('@acme/widget does not export "./internal/x" for import');
    expect(() => resolveSchemeModule('@acme/widget/other', root)).toThrow(/does not export "\.\/other"/);
    expect(() => resolveSchemeModule('@acme/missing-scheme', root)).toThrow(/cannot find package @acme\/missing-scheme from .* \(is it installed\?\)/);
  });
});

describe('runShellCommand', () => {
  const node = JSON.stringify(process.execPath);

  it('runs the command in a shell with the extra environment, and collects stdout, stderr and the exit code', async () => {
    const outcome = await runShellCommand(`${node} -e "process.stdout.write(JSON.stringify({ base: process.env.GATEHOUSE_BASE_URL })); process.stderr.write('note')"`, {
      GATEHOUSE_BASE_URL: 'http://127.0.0.1:3000',
    });
    expect(outcome).toEqual({ exitCode: 0, signal: null, stdout: '{"base":"http://127.0.0.1:3000"}', stderr: 'note', timedOut: false });
    const failed = await runShellCommand(`${node} -e "console.error('no route to host'); process.exit(3)"`, {});
    expect(failed).toMatchObject({ exitCode: 3, stderr: 'no route to host\n' });
  });

  it('stops a command that takes too long', async () => {
    const outcome = await runShellCommand(`${node} -e "setTimeout(() => {}, 60000)"`, {}, { timeoutInMilliseconds: 200 });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.exitCode === 0).toBe(false);
  });
});
