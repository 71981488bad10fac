// A flood of failed logins must neither exhaust memory nor stall the server: password checks run a few at a time
// off the event loop, and the rest are refused at once with each form's "too many requests".
import { describe, expect, it } from 'vitest';
import { requestOverSocket, useTemporaryDemos, type SocketAnswer } from './__fixtures__/temporary-demos.js';

const demos = useTemporaryDemos('gatehouse-flood-');

/** The four password forms of the demo, each with a failing login. */
const FORMS = [
  (n: number) => ({ path: `/v2/user/auth?login=nobody${n}&password=x`, method: 'GET' }),
  (n: number) => ({ path: '/api/v1/auth/login', json: { login: `nobody${n}`, password: 'x' } }),
  (n: number) => ({ path: '/ap/WebAuthenticateUser', json: { UserName: `nobody${n}`, Password: 'x' } }),
  (n: number) => ({ path: '/v2/panel/account/auth', json: { login: `nobody${n}`, password: 'x' } }),
];

describe('a flood of failed logins', () => {
  it('keeps memory bounded and /healthz answering, and answers every login as a refusal, none a server error', async () => {
    // The real scrypt cost (32 MiB a check): 100 checks at once were 3.2 GB before they were bounded.
    const demo = await demos.start(demos.freshEnv({ GATEHOUSE_PASSWORD_COST: '15', GATEHOUSE_MAX_FAILURES: '1000000' }));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const settled: string[] = [];
    const logins = Array.from({ length: 100 }, (_, n) => {
      const form = (FORMS[n % FORMS.length] as (n: number) => { path: string; method?: string; json?: unknown })(n);
      return requestOverSocket(demo, form.path, { ...form, from: `127.0.0.${1 + (n % 10)}` }).then((answer: SocketAnswer) => {
        settled.push('login');
        return answer;
      });
    });
    const health = requestOverSocket(demo, '/healthz').then((answer) => {
      settled.push('healthz');
      return answer;
    });
    const [answers, healthz] = await Promise.all([Promise.all(logins), health]);
    clearInterval(sampler);
    expect(healthz.status).toBe(200);
    // /healthz was answered while logins were still being checked, not after the flood.
    expect(settled.indexOf('healthz')).toBeLessThan(settled.length - 1);
    const statuses = new Set(answers.map((answer) => answer.status));
    for (const status of statuses) expect([400, 401, 429]).toContain(status);
    expect(answers.filter((answer) => answer.status === 429).length).toBeGreaterThan(0);
    expect((peak - baseline) / 2 ** 20).toBeLessThan(300);
  }, 60_000); // no time is asserted: the limit only keeps a loaded machine from failing the run
});
