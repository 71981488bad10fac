/**
 * Sizes of a benchmark run. `full` is what `pnpm bench` runs; `smoke` runs every path with tiny sizes in a few
 * seconds so CI keeps the code alive (it asserts only that numbers were produced, never a time).
 */
export interface BenchSizes {
  readonly mode: 'full' | 'smoke';
  readonly inProcess: {
    /** Credentials of each scheme in the store. */
    readonly credentials: number;
    /** Alternating rounds; each reports one number per case, the table shows the median. */
    readonly rounds: number;
    /** Operations timed together in one sample (amortises the timer). */
    readonly batch: number;
    /** tinybench time budget per case and round, ms. */
    readonly timeMs: number;
    readonly warmupMs: number;
  };
  readonly http: {
    readonly connections: number;
    /** Seconds per measured round. */
    readonly durationSeconds: number;
    /**
     * Requests per measured round instead of a duration (the smoke run): a round then always completes, however
     * busy the machine is, and still checks that every reply is a 2xx.
     */
    readonly requestsPerRound?: number;
    /** Measured rounds per server (A, B, A, B …), after one unmeasured warm-up round each. */
    readonly rounds: number;
    readonly warmupSeconds: number;
    /** Credentials of each scheme on a server; requests cycle through `requestCredentials` of them. */
    readonly credentials: number;
    readonly requestCredentials: number;
  };
  readonly scale: {
    /** The small and the large memory store. */
    readonly small: number;
    readonly large: number;
    /** Records in the SQLite file. */
    readonly sqlite: number;
    /** Credentials per owner in the scale stores. */
    readonly perOwner: number;
    /** Distinct credentials the verify loop cycles through (sampled uniformly). */
    readonly pool: number;
    readonly rounds: number;
    readonly timeMs: number;
    /** Individually timed lookups for the SQLite percentiles. */
    readonly sqliteLookups: number;
  };
}

export const FULL: BenchSizes = {
  mode: 'full',
  inProcess: { credentials: 1_000, rounds: 5, batch: 64, timeMs: 400, warmupMs: 100 },
  http: { connections: 50, durationSeconds: 3, rounds: 5, warmupSeconds: 1, credentials: 1_000, requestCredentials: 16 },
  scale: { small: 1_000, large: 1_000_000, sqlite: 1_000_000, perOwner: 4, pool: 65_536, rounds: 5, timeMs: 400, sqliteLookups: 100_000 },
};

export const SMOKE: BenchSizes = {
  mode: 'smoke',
  inProcess: { credentials: 20, rounds: 1, batch: 8, timeMs: 10, warmupMs: 2 },
  http: { connections: 4, durationSeconds: 0.1, requestsPerRound: 40, rounds: 1, warmupSeconds: 0, credentials: 8, requestCredentials: 2 },
  scale: { small: 50, large: 5_000, sqlite: 400, perOwner: 4, pool: 64, rounds: 1, timeMs: 10, sqliteLookups: 200 },
};
