// A tiny, strict XML 1.0 reader for the tests of the JUnit report: elements, attributes, character data and the
// predefined and numeric character references; no DTD, comments, CDATA or processing instructions besides the
// XML declaration. It throws on anything not well-formed, and decodes what it reads, so a test can check that
// what was escaped comes back unchanged.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own character data, decoded and concatenated. */
  readonly text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
// eslint-disable-next-line no-control-regex
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (INVALID_CHAR.test(raw)) throw new Error(`${where}: a character XML 1.0 does not allow`);
  return raw.replace(/&([^;]*);|&/g, (match, reference: string | undefined) => {
    if (reference === undefined) throw new Error(`${where}: a bare "&"`);
    if (reference in ENTITIES) return ENTITIES[reference] as string;
    const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(reference);
    if (numeric === null) throw new Error(`${where}: unknown reference ${match}`);
    const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
    const char = String.fromCodePoint(code);
    if (INVALID_CHAR.test(char)) throw new Error(`${where}: reference ${match} to a character XML 1.0 does not allow`);
    return char;
  });
}

/**
 * Parses an XML document and returns its root element; throws if it is not well-formed.
 *
 * @example
 * ```ts
 * parseXml('<?xml version="1.0"?><a b="1">x &amp; y</a>'); // { name: 'a', attributes: { b: '1' }, children: [], text: 'x & y' }
 * ```
 */
export function parseXml(document: string): XmlElement {
  let at = 0;
  const declaration = /^<\?xml\s+version="1\.0"(?:\s+encoding="UTF-8")?\s*\?>\s*/.exec(document);
  if (declaration !== null) at = declaration[0].length;
  interface Open {
    name: string;
    attributes: Record<string, string>;
    children: XmlElement[];
    text: string;
  }
  const stack: Open[] = [];
  let root: XmlElement | null = null;
  const close = (element: Open): void => {
    const done: XmlElement = { name: element.name, attributes: element.attributes, children: element.children, text: element.text };
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      if (root !== null) throw new Error('more than one root element');
      root = done;
    } else parent.children.push(done);
  };
  while (at < document.length) {
    const next = document.indexOf('<', at);
    const text = document.slice(at, next === -1 ? document.length : next);
    if (text !== '') {
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        if (text.trim() !== '') throw new Error(`character data outside the root element at ${at}`);
      } else {
        if (text.includes('>') && text.includes(']]>')) throw new Error(`"]]>" in character data at ${at}`);
        parent.text += decode(text, `text at ${at}`);
      }
    }
    if (next === -1) break;
    at = next;
    if (document.startsWith('</', at)) {
      const end = document.indexOf('>', at);
      if (end === -1) throw new Error(`unterminated end tag at ${at}`);
      const name = document.slice(at + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new Error(`end tag </${name}> at ${at} does not match <${open?.name ?? '(none)'}>`);
      close(open);
      at = end + 1;
      continue;
    }
    // A start tag or an empty-element tag.
    at++;
    const name = NAME.exec(document.slice(at))?.[0];
    if (name === undefined) throw new Error(`a tag without a valid name at ${at}`);
    at += name.length;
    const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      const space = /^\s*/.exec(document.slice(at))?.[0] ?? '';
      at += space.length;
      if (document.startsWith('/>', at)) {
        at += 2;
        close({ name, attributes, children: [], text: '' });
        break;
      }
      if (document.startsWith('>', at)) {
        at += 1;
        stack.push({ name, attributes, children: [], text: '' });
        break;
      }
      if (space === '') throw new Error(`attributes must be separated by white space at ${at}`);
      const attribute = /^([A-Za-z_:][A-Za-z0-9_.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(document.slice(at));
      if (attribute === null) throw new Error(`a malformed attribute at ${at}: ${JSON.stringify(document.slice(at, at + 40))}`);
      const attributeName = attribute[1] as string;
      if (attributeName in attributes) throw new Error(`attribute ${attributeName} repeated at ${at}`);
      // Attribute-value normalization: literal white space becomes a space; references keep what they encode.
      const raw = (attribute[2] ?? attribute[3] ?? '').replace(/[\t\n\r]/g, ' ');
      attributes[attributeName] = decode(raw, `attribute ${attributeName} at ${at}`);
      at += attribute[0].length;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed element <${stack[stack.length - 1]?.name}>`);
  if (root === null) throw new Error('no root element');
  return root;
}
