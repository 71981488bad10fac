// Where a `--scheme <module>` lives: a file path (relative to the current directory), or a package name resolved
// from the current directory as `import` would from a file there (its `exports` with the import, node and default
// conditions, or its main file). Node-only; used by the bin.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CONDITIONS = new Set(['import', 'node', 'default']);

/** Whether a `--scheme` value is a file path rather than a package name. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || /^[A-Za-z]:[\\/]/.test(specifier) || /\.(?:m?js|cjs)$/.test(specifier);
}

function splitPackageSpecifier(specifier: string): { name: string; subpath: string } | null {
  const match = /^((?:@[^/@\s]+\/)?[^/@\s][^/\s]*)(\/.*)?$/.exec(specifier);
  if (match === null) return null;
  return { name: match[1] as string, subpath: match[2] === undefined ? '.' : `.${match[2]}` };
}

/** Resolves one `exports` target: a string, an array (the first that resolves) or an object of conditions. */
function resolveTarget(target: unknown, star: string | null): string | null {
  if (typeof target === 'string') return star === null ? target : target.split('*').join(star);
  if (Array.isArray(target)) {
    for (const one of target) {
      const resolved = resolveTarget(one, star);
      if (resolved !== null) return resolved;
    }
    return null;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const resolved = resolveTarget(value, star);
      if (resolved !== null) return resolved;
    }
  }
  return null;
}

/** The file a package's `exports` map gives for `subpath`, or `null` when it exports nothing there. */
function resolveExports(exports: unknown, subpath: string): string | null {
  const isSubpathMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? resolveTarget(exports, null) : null;
  const map = exports as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return resolveTarget(map[subpath], null);
  // The longest matching `./prefix*suffix` pattern wins.
  let best: { key: string; star: string } | null = null;
  for (const key of Object.keys(map)) {
    const at = key.indexOf('*');
    if (at === -1) continue;
    const prefix = key.slice(0, at);
    const suffix = key.slice(at + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      if (best === null || prefix.length > best.key.indexOf('*')) best = { key, star: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  return best === null ? null : resolveTarget(map[best.key], best.star);
}

function readManifest(directory: string): Record<string, unknown> | null {
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
    return typeof manifest === 'object' && manifest !== null ? (manifest as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The file of `subpath` in the package at `directory`, or an explanation of why there is none. */
function fileInPackage(directory: string, manifest: Record<string, unknown>, name: string, subpath: string): string {
  if (manifest['exports'] !== undefined) {
    const target = resolveExports(manifest['exports'], subpath);
    if (target === null || !target.startsWith('./')) throw new Error(`${name} does not export ${subpath === '.' ? 'its main entry' : JSON.stringify(subpath)} for import`);
    return resolve(directory, target);
  }
  if (subpath !== '.') return resolve(directory, subpath);
  const main = typeof manifest['main'] === 'string' ? manifest['main'] : 'index.js';
  return resolve(directory, main);
}

/**
 * The file a `--scheme` value names: a path resolved against `fromDirectory`, or a package's entry found from
 * `fromDirectory` upwards (each folder's `node_modules`, or the package itself when a folder is that package).
 * Throws an `Error` saying what it looked for.
 *
 * @example
 * ```ts
 * resolveSchemeModule('@acme/strategy-widget/conformance', process.cwd()); // '/app/node_modules/@acme/strategy-widget/dist/conformance.js'
 * ```
 */
export function resolveSchemeModule(specifier: string, fromDirectory: string): string {
  if (isPathSpecifier(specifier)) {
    const path = resolve(fromDirectory, specifier);
    if (!existsSync(path)) throw new Error(`no file ${path}`);
    if (statSync(path).isDirectory()) throw new Error(`${path} is a folder: name the module file (e.g. dist/conformance.js)`);
    return path;
  }
  const parts = splitPackageSpecifier(specifier);
  if (parts === null) throw new Error('not a package name or a file path');
  for (let directory = resolve(fromDirectory); ; directory = dirname(directory)) {
    const own = readManifest(directory);
    if (own !== null && own['name'] === parts.name && own['exports'] !== undefined) return fileInPackage(directory, own, parts.name, parts.subpath);
    const installed = join(directory, 'node_modules', parts.name);
    const manifest = readManifest(installed);
    if (manifest !== null) return fileInPackage(installed, manifest, parts.name, parts.subpath);
    if (dirname(directory) === directory) break;
  }
  // Installs without node_modules folders (Yarn Plug'n'Play, NODE_PATH): what require would find.
  try {
    return createRequire(join(resolve(fromDirectory), 'package.json')).resolve(specifier);
  } catch {
    throw new Error(`cannot find package ${parts.name} from ${resolve(fromDirectory)} (is it installed?)`);
  }
}

/**
 * Imports a `--scheme` module, resolved from `fromDirectory` (see {@link resolveSchemeModule}).
 *
 * @example
 * ```ts
 * const namespace = await importSchemeModule('./dist/conformance.js', process.cwd());
 * ```
 */
export async function importSchemeModule(specifier: string, fromDirectory: string): Promise<unknown> {
  const file = resolveSchemeModule(specifier, fromDirectory);
  return import(pathToFileURL(file).href);
}
