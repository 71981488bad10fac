// The README's CLI guide stays in step with the code: every fixture of every built-in scheme (name, required or
// default), every `run` option, the verdicts, the report fields and how a scheme plugs in from outside.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemes } from '../schemes/index.js';
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
  it.each(Object.values(schemes).map((scheme) => [scheme.profile.id, scheme.fixtures] as const))('documents every HTTP fixture of %s', (profile, specs) => {
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
    expect(options).toEqual(expect.arrayContaining(['--param', '--scheme', '--fixtures-command', '--strict-wire']));
    expect(options.length).toBeGreaterThanOrEqual(13);
    const table = section('### `run` options');
    for (const option of options) expect(table).toContain(`\`${option}`);
    for (const key of ['"parameters"', '"fixturesCommand"', '"schemes"', '"strictWire"']) expect(table).toContain(key);
  });

  it('documents the two verdicts and the parameters', () => {
    const verdicts = section('### Two verdicts: security and wire');
    for (const word of ['`accepted`', '`leaked`', '`broken`', '`--strict-wire`']) expect(verdicts).toContain(word);
    const parameters = section('### Parameters');
    for (const word of ['--param name=value', '"parameters"', 'silence', 'default']) expect(parameters).toContain(word);
  });

  it('documents the marks, the summary line and the exit codes', () => {
    const text = section('### Output and exit codes');
    for (const code of ['| 0 |', '| 1 |', '| 2 |']) expect(text).toContain(code);
    for (const mark of ['`ACCEPTED`', '`LEAKED`', '`BROKEN`', '`WIRE`']) expect(text).toContain(mark);
    expect(text).toContain('`security: N passed, N failed (N accepted a bad credential, N leaked, N broken), N skipped; wire: N cases\ndiffer from the documents`');
    expect(text).toContain('the server throttled the run');
  });

  it('documents the report fields and the JUnit failure types', () => {
    const text = section('### Reports');
    for (const field of ['"failureKind"', '"wireDifferences"', '"security"', '"notChecked"', '"unexpected"', '"parameters"', '"strictWire"']) expect(text).toContain(field);
    for (const type of ['type="security:accepted"', 'type="security:leaked"', 'type="broken"', '<failure type="wire">', '<system-out>', 'parameter:<name>']) expect(text).toContain(type);
  });

  it('documents the fixtures command and adding a scheme from outside the kit', () => {
    const command = section('### Fixtures from a command');
    for (const word of ['GATEHOUSE_BASE_URL', 'JSON object', 'standard error']) expect(command).toContain(word);
    const plugin = section('## Adding a scheme from outside the kit');
    for (const word of ['ConformanceScheme', 'createHttpDriver', 'conformanceSchemes', '--scheme', 'ServerThrottledError', 'context.wire']) {
      expect(plugin).toContain(word);
    }
  });
});
