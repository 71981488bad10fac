// The README's CLI guide stays in step with the code: every HTTP fixture (name, required or default) and every
// `run` option is documented.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HTTP_FIXTURES } from '../http/fixtures.js';
import { usage } from './usage.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,4} /);
  return end === -1 ? rest : rest.slice(0, end);
}

describe('README.md, the CLI', () => {
  it.each(Object.entries(HTTP_FIXTURES))('documents every HTTP fixture of %s', (profile, specs) => {
    const table = section(`#### \`${profile}\``);
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => /^\| `([^`]+)`/.exec(row)?.[1])).toEqual(specs.map((spec) => spec.name));
    specs.forEach((spec, index) => {
      const kind = spec.required ? 'required' : spec.default !== undefined ? `default \`${spec.default}\`` : 'optional';
      expect(rows[index]).toContain(`| ${kind} |`);
    });
  });

  it('documents every run option the help lists', () => {
    const options = [...usage('run').matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1] as string).filter((option) => option !== '--help');
    expect(options.length).toBeGreaterThanOrEqual(9);
    const table = section('### `run` options');
    for (const option of options) expect(table).toContain(`\`${option}`);
  });

  it('documents the exit codes and the summary line', () => {
    const text = section('### Output and exit codes');
    for (const code of ['| 0 |', '| 1 |', '| 2 |']) expect(text).toContain(code);
    expect(text).toContain('`N passed, N failed, N skipped`');
  });
});
