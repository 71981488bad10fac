// The JSON test vectors shipped in `vectors/`: every file parses and has its `source` first (the HMAC vectors are
// checked in src/schemes/hmac-signature/vectors.test.ts, the access-hash ones in
// src/schemes/access-hash-cookie/vectors.test.ts, the NVX ones in src/schemes/nvx-hash/vectors.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

function jsonFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return jsonFiles(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

const read = <T>(path: string): T => JSON.parse(readFileSync(join(VECTORS, path), 'utf8')) as T;

describe('vectors/', () => {
  const files = jsonFiles(VECTORS).map((path) => relative(VECTORS, path).split('\\').join('/'));

  it('holds the three vector files and a README', () => {
    expect(files.sort()).toEqual(['access-hash-cookie/cookies.json', 'hmac-signature/signatures.json', 'nvx-hash/requests.json']);
    expect(readFileSync(join(VECTORS, 'README.md'), 'utf8')).toContain('# Test vectors');
  });

  it.each(files)('%s parses, names its source first, describes its format and has vectors', (file) => {
    const parsed = read<Record<string, unknown>>(file);
    expect(Object.keys(parsed)[0]).toBe('source');
    expect(typeof parsed['source']).toBe('string');
    expect((parsed['source'] as string).length).toBeGreaterThan(20);
    expect(typeof parsed['format']).toBe('string');
    expect(Array.isArray(parsed['vectors'])).toBe(true);
    expect((parsed['vectors'] as unknown[]).length).toBeGreaterThanOrEqual(5);
  });
});
