// TypeDoc plugin for the Gatehouse API reference (typedoc.json loads it; `pnpm docs:api` runs it).
//
// 1. Names each entry module by the specifier a user imports (`@gatehouse/auth-core/strategy`), read from the
//    `paths` of tsconfig.typedoc.json, the same map that makes one package's imports of another resolve to source.
// 2. Warns when a published package's `exports` map has a code entry the reference leaves out, so a new entry
//    cannot ship undocumented.
// 3. Exempts the members of anonymous object types from `notDocumented`: the rows of a constant table such as
//    AUTH_ERROR_CODES, the branches of a union such as AuthOutcome, a return type written inline. The reference
//    prints such a type in full where it is used, and the declaration's own TSDoc explains it. Every export, and
//    every member of an exported interface or class, stays required.
// 4. Warns for every export whose TSDoc has no summary or no `@example`: the repository's rule, which TypeDoc's
//    own `notDocumented` check does not cover (a comment with only an `@example` passes it). A root entry without
//    a module comment is described by its package's `description`.
// With `treatWarningsAsErrors`, each of these warnings fails the build.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Application, Comment, Converter, ParameterType, ReflectionKind } from 'typedoc';

const EXAMPLE_REQUIRED =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.TypeAlias |
  ReflectionKind.Function |
  ReflectionKind.Variable |
  ReflectionKind.Enum |
  ReflectionKind.Namespace;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.options.addDeclaration({
    name: 'examplesOwed',
    help: 'Exports ("module: name") allowed to lack an @example for now; an entry that no longer applies is a warning, so the list only shrinks.',
    type: ParameterType.Array,
    defaultValue: [],
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const root = process.cwd();
    const tsconfigPath = resolve(root, app.options.getValue('tsconfig'));
    const paths = JSON.parse(readFileSync(tsconfigPath, 'utf8')).compilerOptions?.paths ?? {};
    const base = dirname(tsconfigPath);
    const named = new Set();
    for (const module of context.project.children ?? []) {
      if (!module.kindOf(ReflectionKind.Module)) continue;
      const file = context.project.getSymbolIdFromReflection(module)?.fileName;
      const specifier = file === undefined ? undefined : specifierOf(paths, base, file);
      if (specifier === undefined) {
        app.logger.warn(`API reference: no tsconfig.typedoc.json "paths" entry names the module ${module.name}`);
        continue;
      }
      module.name = specifier;
      named.add(specifier);
      const manifest = readManifest(root, specifier);
      if (!module.hasComment() && manifest?.description && specifier === manifest.name) {
        module.comment = new Comment([{ kind: 'text', text: manifest.description }]);
      }
    }
    for (const specifier of publishedEntries(root)) {
      if (!named.has(specifier)) {
        app.logger.warn(`API reference: ${specifier} is in its package's "exports" but not in typedoc.json "entryPoints"`);
      }
    }
  });

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const members = context.project
      .getReflectionsByKind(ReflectionKind.Property)
      .filter((property) => !property.hasComment() && isAnonymousTypeMember(property) && !underParameter(property))
      .map((property) => property.getFriendlyFullName());
    if (members.length > 0) {
      // TypeDoc warns about a listed name it never needed, so list each name once and none that it skips anyway.
      const listed = new Set([...app.options.getValue('intentionallyNotDocumented'), ...members]);
      app.options.setValue('intentionallyNotDocumented', [...listed]);
    }
  });

  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    const owed = new Set(app.options.getValue('examplesOwed'));
    const stillOwed = new Set();
    for (const module of project.children ?? []) {
      for (const child of module.children ?? []) {
        if (!child.kindOf(EXAMPLE_REQUIRED)) continue;
        const comments = [child.comment, ...(child.signatures ?? []).map((signature) => signature.comment)];
        const hasExample = comments.some((comment) =>
          comment?.getTags('@example').some((tag) => Comment.combineDisplayParts(tag.content).trim() !== ''),
        );
        const hasSummary = comments.some((comment) => comment !== undefined && Comment.combineDisplayParts(comment.summary).trim() !== '');
        if (!hasSummary) {
          const source = child.sources?.[0];
          app.logger.validationWarning(`${module.name}: ${child.name} has a TSDoc without a summary${source ? ` (${source.fileName}:${source.line})` : ''}`);
        }
        if (!hasExample) {
          const key = `${module.name}: ${child.name}`;
          if (owed.has(key)) {
            stillOwed.add(key);
            continue;
          }
          const source = child.sources?.[0];
          const where = source ? ` (${source.fileName}:${source.line})` : '';
          app.logger.validationWarning(`${key} has no @example in its TSDoc${where}`);
        }
      }
    }
    for (const key of owed) {
      if (!stillOwed.has(key)) app.logger.validationWarning(`typedoc.json "examplesOwed" lists ${key}, which has an @example now (or is gone): remove it`);
    }
  });
}

/** A member of an object type written in place (`{ … }`), which TypeDoc files under a type literal or, for a type alias of one, under the alias. */
function isAnonymousTypeMember(property) {
  return property.parent?.kindOf(ReflectionKind.TypeLiteral | ReflectionKind.TypeAlias) === true;
}

/** Whether a reflection sits inside a parameter's type, which TypeDoc's `notDocumented` never checks. */
function underParameter(reflection) {
  for (let parent = reflection.parent; parent !== undefined; parent = parent.parent) {
    if (parent.kindOf(ReflectionKind.Parameter)) return true;
  }
  return false;
}

/** The import specifier whose `paths` target is `file`, trying exact keys before `*` patterns. */
function specifierOf(paths, base, file) {
  const target = relative(base, file).split('\\').join('/');
  const entries = Object.entries(paths).sort(([a], [b]) => Number(a.includes('*')) - Number(b.includes('*')));
  for (const [key, targets] of entries) {
    for (const candidate of targets) {
      const pattern = relative(base, resolve(base, candidate)).split('\\').join('/');
      const star = pattern.indexOf('*');
      if (star === -1) {
        if (pattern === target) return key;
        continue;
      }
      const head = pattern.slice(0, star);
      const tail = pattern.slice(star + 1);
      if (target.startsWith(head) && target.endsWith(tail) && target.length >= head.length + tail.length) {
        const captured = target.slice(head.length, target.length - tail.length);
        if (!captured.includes('/')) return key.replace('*', captured);
      }
    }
  }
  return undefined;
}

function readManifest(root, specifier) {
  for (const manifest of publishedManifests(root)) {
    if (specifier === manifest.name || specifier.startsWith(`${manifest.name}/`)) return manifest;
  }
  return undefined;
}

let manifests;
function publishedManifests(root) {
  manifests ??= readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      try {
        return JSON.parse(readFileSync(join(root, 'packages', entry.name, 'package.json'), 'utf8'));
      } catch {
        return undefined;
      }
    })
    .filter((manifest) => manifest !== undefined && manifest.private !== true);
  return manifests;
}

/** Every code entry of every published package: `exports` keys with a `types` condition (data files have none). */
function publishedEntries(root) {
  const specifiers = [];
  for (const manifest of publishedManifests(root)) {
    for (const [key, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target !== 'object' || target === null || !('types' in target)) continue;
      specifiers.push(key === '.' ? manifest.name : `${manifest.name}/${key.replace(/^\.\//, '')}`);
    }
  }
  return specifiers;
}
