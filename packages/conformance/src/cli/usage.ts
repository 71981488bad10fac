// The help texts of `gatehouse-conformance`.
import type { HelpTopic } from './args.js';
import type { HttpFixtureSpec } from './types.js';

const EXIT_CODES = `Exit codes:
  0  no unexpected result (expected failures, skips and wire differences are fine)
  1  an unexpected result: a case failed (a security check or the contract) without being expected,
     an expected failure passed, or, with --strict-wire, a case differed from the documents without
     being expected; also when the run could not complete (server unreachable or throttling the run,
     fixtures command failed, driver error)
  2  a usage error: bad arguments, config, fixtures, parameters, expectations or scheme module`;

const MAIN = `Usage: gatehouse-conformance <command> [options]

Checks a live server, written in any language, against a Gatehouse conformance profile over HTTP.

Commands:
  run        run a scheme profile against a server            (gatehouse-conformance run --help)
  list       list the cases and parameters of a profile       (gatehouse-conformance list --help)
  profiles   list the profiles
  help <command>

Options:
  -h, --help     show this help
  -v, --version  show the version

${EXIT_CODES}`;

const RUN = `Usage: gatehouse-conformance run --profile <id> --base-url <url> [--set name=value]... [options]

Runs a scheme profile against a live server by URL: one of the kit's schemes (gatehouse-conformance
profiles), or one a strategy package ships (--scheme). The store and contract profiles run in-process
only: use @gatehouse/conformance/vitest.

Each case has two verdicts. Security: a bad, foreign, replayed, revoked or ambiguous credential is never
accepted, and no reply leaks a secret or tells credentials apart; a failure is ACCEPTED, LEAKED, or BROKEN
(any other broken rule). Wire: what the vendor's documents state (statuses, codes, envelopes); a
difference is reported (WIRE) and fails the run only with --strict-wire.

Options:
  --profile <id>            the profile to run
  --base-url <url>          where the server listens, e.g. http://127.0.0.1:3000
  --set <name=value>        a fixture (repeatable; the last one of a name wins); see the fixtures below
  --param <name=value>      a parameter the server declares: its choice where the documents are silent
                            or contradict each other (repeatable); see list --profile <id>
  --scheme <module>         add the schemes a module exports (its default export or conformanceSchemes):
                            a package name, resolved from the current directory, or a file path (repeatable)
  --fixtures-command <cmd>  run a shell command (GATEHOUSE_BASE_URL and GATEHOUSE_PROFILE in its
                            environment) that prints the fixtures as one JSON object; --set values win
  --strict-wire             a case with wire differences counts as failed unless expected
  --config <file.json>      {"profile"?, "baseUrl"?, "fixtures"?: {...}, "parameters"?: {...},
                            "fixturesCommand"?, "schemes"?: [...], "strictWire"?, "expect"?,
                            "disable"?: [...], "timeout"?}
                            flags override the file; --set and --param override single entries;
                            --disable and --scheme add; "expect" is a path (relative to the file)
                            or the expectations themselves
  --expect <file.json>      expected failures with reasons: {"<case id>": "reason"} or [{"id", "reason"}]
                            an expected failure that fails is fine; one that passes is unexpected
  --disable <id>            skip a case (repeatable, or comma-separated)
  --timeout <ms>            a case still running after this long fails (default 30000); also the limit
                            of each HTTP request
  --report-json <file>      write a JSON report
  --report-junit <file>     write a JUnit XML report
  -h, --help                show this help

Prints one line per case (✓ passed, ✗ failed, - skipped; ACCEPTED, LEAKED, BROKEN, WIRE mark the kind,
each wire difference listed below its case), then
"security: N passed, N failed (…), N skipped; wire: N cases differ from the documents",
then the unexpected results if there are any.

Fixture values may be passwords and secrets: other users can see command lines, so prefer a config
file only you can read (chmod 600), or a fixtures command, for those.

${EXIT_CODES}`;

const LIST = `Usage: gatehouse-conformance list --profile <id> [--scheme <module>]... [--json]

Lists the cases of a profile: id, level (MUST or SHOULD), the capabilities a case requires (without
them it is skipped) and title; then its parameters: the values a server may declare (--param), the
default, what each decides, and the documents' silence that makes it the server's choice.

Options:
  --profile <id>      the profile (gatehouse-conformance profiles)
  --scheme <module>   add the schemes a module exports (repeatable), as for run
  --json              print {"profile", "title", "cases": [{"id", "level", "requires", "ref", "title"}],
                      "parameters": [{"name", "values", "default", "description", "silence"}]}
  -h, --help          show this help`;

const PROFILES = `Usage: gatehouse-conformance profiles [--scheme <module>]... [--json]

Lists the profiles with their titles and how they run: over HTTP (gatehouse-conformance run) or
in-process only (@gatehouse/conformance/vitest).

Options:
  --scheme <module>   add the schemes a module exports (repeatable), as for run
  --json              print [{"id", "title", "cases", "parameters", "http"}]
  -h, --help          show this help`;

/**
 * The fixtures of each HTTP profile, for `run --help`.
 *
 * @example
 * ```ts
 * formatFixtures({ 'nvx-hash@2': [{ name: 'login', required: true, description: 'a master user' }] });
 * ```
 */
export function formatFixtures(fixtures: Readonly<Record<string, readonly HttpFixtureSpec[]>>): string {
  const sections: string[] = [];
  for (const [profile, specs] of Object.entries(fixtures)) {
    const labels = specs.map((spec) => (spec.default !== undefined ? `${spec.name}=${spec.default}` : spec.required ? `${spec.name} (required)` : spec.name));
    const width = Math.max(0, ...labels.map((label) => label.length));
    sections.push(`Fixtures of ${profile}:\n${specs.map((spec, index) => `  ${(labels[index] as string).padEnd(width)}  ${spec.description}`).join('\n')}`);
  }
  return sections.join('\n\n');
}

/**
 * The help text of a command; `run` lists the fixtures of every HTTP profile when they are known.
 *
 * @example
 * ```ts
 * usage('list'); // 'Usage: gatehouse-conformance list --profile <id> [--json] …'
 * ```
 */
export function usage(topic: HelpTopic, fixtures?: Readonly<Record<string, readonly HttpFixtureSpec[]>>): string {
  switch (topic) {
    case 'main':
      return MAIN;
    case 'run':
      return fixtures === undefined || Object.keys(fixtures).length === 0 ? RUN : `${RUN}\n\n${formatFixtures(fixtures)}`;
    case 'list':
      return LIST;
    case 'profiles':
      return PROFILES;
  }
}
