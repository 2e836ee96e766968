/**
 * A small XML reader for Pascal VOC annotation files: elements, attributes, text, self-closing tags,
 * comments, CDATA, the XML declaration and a DOCTYPE line, and the five named entities plus numeric
 * character references. No namespaces, no DTD processing. Malformed input throws `XmlError` with the
 * line number.
 */

import { DataError } from './errors.js';

/** An element: its name, attributes, child elements in order and its own text (trimmed, children excluded). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Malformed XML, with the 1-based line where reading stopped. */
export class XmlError extends DataError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces entity and character references in text or attribute values. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

/** Parses a document and returns its root element. */
export function parseXml(source: string): XmlElement {
  let position = 0;
  const lineAt = (at: number) => source.slice(0, at).split('\n').length;
  const fail = (message: string): never => {
    throw new XmlError(message, lineAt(position));
  };
  const stack: { element: XmlElement; text: string[] }[] = [];
  let root: XmlElement | undefined;

  const skipPast = (terminator: string, what: string) => {
    const end = source.indexOf(terminator, position);
    if (end < 0) fail(`unterminated ${what}`);
    position = end + terminator.length;
  };

  while (position < source.length) {
    const open = source.indexOf('<', position);
    const textEnd = open < 0 ? source.length : open;
    if (textEnd > position) {
      const text = source.slice(position, textEnd);
      if (stack.length > 0) stack[stack.length - 1].text.push(decodeEntities(text));
      else if (text.trim() !== '') fail('text outside the root element');
      position = textEnd;
      continue;
    }
    if (source.startsWith('<!--', position)) skipPast('-->', 'comment');
    else if (source.startsWith('<![CDATA[', position)) {
      const end = source.indexOf(']]>', position);
      if (end < 0) fail('unterminated CDATA section');
      if (stack.length === 0) fail('CDATA outside the root element');
      stack[stack.length - 1].text.push(source.slice(position + 9, end));
      position = end + 3;
    } else if (source.startsWith('<?', position)) skipPast('?>', 'processing instruction');
    else if (source.startsWith('<!', position)) skipPast('>', 'declaration');
    else if (source.startsWith('</', position)) {
      position += 2;
      const name = NAME.exec(source.slice(position))?.[0] ?? fail('expected a tag name after </');
      position += name.length;
      const close = source.indexOf('>', position);
      if (close < 0 || source.slice(position, close).trim() !== '') fail(`malformed closing tag </${name}`);
      position = close + 1;
      const top = stack.pop() ?? fail(`closing tag </${name}> without an open element`);
      if (top.element.name !== name) fail(`closing tag </${name}> does not match <${top.element.name}>`);
      top.element.text = top.text.join('').trim();
    } else {
      position += 1;
      const name = NAME.exec(source.slice(position))?.[0] ?? fail('expected a tag name after <');
      position += name.length;
      const element: XmlElement = { name, attributes: {}, children: [], text: '' };
      let selfClosing = false;
      for (;;) {
        const whitespace = /^\s*/.exec(source.slice(position))![0];
        position += whitespace.length;
        if (source.startsWith('/>', position)) {
          selfClosing = true;
          position += 2;
          break;
        }
        if (source[position] === '>') {
          position += 1;
          break;
        }
        if (position >= source.length) fail(`unterminated tag <${name}`);
        const attribute = /^([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(source.slice(position));
        if (attribute === null) fail(`malformed attribute in <${name}>`);
        element.attributes[attribute![1]] = decodeEntities(attribute![3] ?? attribute![4]);
        position += attribute![0].length;
      }
      if (stack.length > 0) stack[stack.length - 1].element.children.push(element);
      else if (root !== undefined) fail('more than one root element');
      else root = element;
      if (!selfClosing) stack.push({ element, text: [] });
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].element.name}> is never closed`);
  return root ?? fail('no root element');
}

/** The first child element named `name`. */
export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

/** Every child element named `name`. */
export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The text of the first child named `name`, or undefined. */
export function childText(element: XmlElement, name: string): string | undefined {
  return childElement(element, name)?.text;
}
