import { cpus, platform, release, totalmem } from 'node:os';

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly memoryGiB: number;
  readonly date: string;
}

export function describeMachine(now = new Date()): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: (list[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: now.toISOString(),
  };
}
