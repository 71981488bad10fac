// The values of every top-level `hash` member of a JSON text, in order (JSON.parse keeps only the last). For the
// reference server's duplicate-key handling; expects text JSON.parse accepted.

/** Where the JSON value starting at `at` ends (exclusive). */
function skipValue(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      if (depth === 0) return i;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (ch === ',' || /\s/.test(ch))) return i;
    i++;
  }
  return i;
}

export function jsonHashValues(text: string): unknown[] {
  const values: unknown[] = [];
  let i = text.indexOf('{');
  if (i === -1) return values;
  i++;
  for (;;) {
    while (i < text.length && /[\s,]/.test(text[i] as string)) i++;
    if (i >= text.length || text[i] !== '"') return values;
    const nameEnd = skipValue(text, i);
    const name = JSON.parse(text.slice(i, nameEnd)) as string;
    i = text.indexOf(':', nameEnd) + 1;
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    const valueEnd = skipValue(text, i);
    if (name === 'hash') values.push(JSON.parse(text.slice(i, valueEnd)) as unknown);
    i = valueEnd;
  }
}
