// A module resolve hook (node:module `register`) for the bench's portable graph: every module imported with
// `?gatehouse-build=portable`, and every Gatehouse package or relative module it imports in turn, resolves
// without the `node` export condition. @gatehouse/auth-core then loads its `default` build (@noble/hashes, what
// workers and browsers run) in the same process as the native one, as separate module instances.
export const PORTABLE_MARK = 'gatehouse-build=portable';

interface ResolveContext {
  readonly conditions: readonly string[];
  readonly parentURL?: string;
}
interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
  const parent = context.parentURL ?? '';
  const marked = specifier.includes(PORTABLE_MARK) || parent.includes(PORTABLE_MARK);
  if (!marked || !(specifier.startsWith('@gatehouse/') || specifier.startsWith('.') || specifier.startsWith('file:'))) {
    return nextResolve(specifier, context);
  }
  const conditions = context.conditions.filter((condition) => condition !== 'node');
  const resolved = await nextResolve(specifier, { ...context, conditions });
  if (!resolved.url.startsWith('file:') || resolved.url.includes(PORTABLE_MARK)) return resolved;
  return { ...resolved, url: `${resolved.url}${resolved.url.includes('?') ? '&' : '?'}${PORTABLE_MARK}` };
}
