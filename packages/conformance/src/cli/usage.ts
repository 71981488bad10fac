// The help texts of `gatehouse-conformance`.
import type { HelpTopic } from './args.js';
import type { HttpFixtureSpec } from './types.js';

const EXIT_CODES = `Exit codes:
  0  no unexpected result (expected failures and skips are fine)
  1  an unexpected result: a MUST or SHOULD case failed without being expected, or an expected
     failure passed; also when the run could not complete (server unreachable, driver error)
  2  a usage error: bad arguments, config, fixtures or expectations`;

const MAIN = `Usage: gatehouse-conformance <command> [options]

Checks a live server, written in any language, against a Gatehouse conformance profile over HTTP.

Commands:
  run        run a scheme profile against a server            (gatehouse-conformance run --help)
  list       list the cases of a profile                      (gatehouse-conformance list --help)
  profiles   list the profiles
  help <command>

Options:
  -h, --help     show this help
  -v, --version  show the version

${EXIT_CODES}`;

const RUN = `Usage: gatehouse-conformance run --profile <id> --base-url <url> [--set name=value]... [options]

Runs a scheme profile (nvx-hash@1, access-hash-cookie@1, hmac-signature@1) against a live server by URL.
The store and contract profiles run in-process only: use @gatehouse/conformance/vitest.

Options:
  --profile <id>          the profile to run
  --base-url <url>        where the server listens, e.g. http://127.0.0.1:3000
  --set <name=value>      a fixture (repeatable; the last one of a name wins); see the fixtures below
  --config <file.json>    {"profile"?, "baseUrl"?, "fixtures"?: {...}, "expect"?, "disable"?: [...], "timeout"?}
                          flags override the file; --set overrides single fixtures; --disable adds;
                          "expect" is a path (relative to the file) or the expectations themselves
  --expect <file.json>    expected failures with reasons: {"<case id>": "reason"} or [{"id", "reason"}]
                          an expected failure that fails is fine; one that passes is unexpected
  --disable <id>          skip a case (repeatable, or comma-separated)
  --timeout <ms>          a case still running after this long fails (default 30000); also the limit
                          of each HTTP request
  --report-json <file>    write a JSON report
  --report-junit <file>   write a JUnit XML report
  -h, --help              show this help

Prints one line per case (✓ passed, ✗ failed, - skipped), then "N passed, N failed, N skipped",
then the unexpected results if there are any.

Fixture values may be passwords and secrets: other users can see command lines, so prefer a config
file only you can read (chmod 600) for those.

${EXIT_CODES}`;

const LIST = `Usage: gatehouse-conformance list --profile <id> [--json]

Lists the cases of a profile: id, level (MUST or SHOULD), the capabilities a case requires (without
them it is skipped) and title.

Options:
  --profile <id>  the profile (gatehouse-conformance profiles)
  --json          print {"profile", "title", "cases": [{"id", "level", "requires", "ref", "title"}]}
  -h, --help      show this help`;

const PROFILES = `Usage: gatehouse-conformance profiles [--json]

Lists the profiles with their titles and how they run: over HTTP (gatehouse-conformance run) or
in-process only (@gatehouse/conformance/vitest).

Options:
  --json      print [{"id", "title", "cases", "http"}]
  -h, --help  show this help`;

/**
 * The fixtures of each HTTP profile, for `run --help`.
 *
 * @example
 * ```ts
 * formatFixtures({ 'nvx-hash@1': [{ name: 'login', required: true, description: 'a master user' }] });
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
