/**
 * The seller's logo, uploaded on the invoice profile page and printed on every invoice. The type
 * is read from the file's first bytes, never from its name or the browser's Content-Type (a
 * ".png" that is really HTML is refused). An SVG is text that can carry script; it is refused
 * if it has script, event handlers, foreignObject or any reference outside itself, since the
 * PDF renderer must not be told to run or fetch anything. Stored as a data: URL.
 */
export const MAX_LOGO_BYTES = 512 * 1024;

export type LogoType = 'image/png' | 'image/jpeg' | 'image/svg+xml';

export type LogoCheck = { ok: true; type: LogoType; dataUrl: string } | { ok: false; message: string };

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);

/** Things an SVG logo never needs and a hostile one uses. */
const SVG_REFUSED: Array<[RegExp, string]> = [
  [/<\s*script/i, 'it contains a script'],
  [/<\s*foreignObject/i, 'it contains a foreignObject'],
  [/\son[a-z]+\s*=/i, 'it contains an event handler (on…=)'],
  [/javascript\s*:/i, 'it contains a javascript: link'],
  [/<!ENTITY|<!DOCTYPE/i, 'it declares entities or a DOCTYPE'],
  [/(?:xlink:)?href\s*=\s*["']?\s*(?!#)[^\s"'>]/i, 'it refers to something outside itself (href)'],
  [/url\(\s*["']?\s*(?!#)/i, 'it refers to something outside itself (url())'],
  [/@import/i, 'it imports a style sheet'],
  [/<\s*(iframe|embed|object|image|img|use)\b[^>]*\ssrc\s*=/i, 'it embeds another document'],
];

function svgProblem(text: string): string | null {
  for (const [re, why] of SVG_REFUSED) if (re.test(text)) return why;
  return null;
}

function looksLikeSvg(bytes: Buffer): string | null {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const head = text.trimStart();
  // An XML prolog and comments may come first; the root element must be <svg.
  const body = head.replace(/^<\?xml[^>]*\?>\s*/i, '').replace(/^(<!--[\s\S]*?-->\s*)*/, '');
  return /^<svg[\s>]/i.test(body) ? text : null;
}

export function checkLogo(bytes: Buffer): LogoCheck {
  if (bytes.length === 0) return { ok: false, message: 'the file is empty' };
  if (bytes.length > MAX_LOGO_BYTES) return { ok: false, message: `the logo is larger than ${MAX_LOGO_BYTES / 1024} KB` };
  let type: LogoType | null = null;
  if (bytes.subarray(0, PNG.length).equals(PNG)) type = 'image/png';
  else if (bytes.subarray(0, JPEG.length).equals(JPEG)) type = 'image/jpeg';
  else {
    const svg = looksLikeSvg(bytes);
    if (svg !== null) {
      const problem = svgProblem(svg);
      if (problem) return { ok: false, message: `the SVG is refused: ${problem}` };
      type = 'image/svg+xml';
    }
  }
  if (!type) return { ok: false, message: 'the file is not a PNG, JPEG or SVG image (its content was checked, not its name)' };
  return { ok: true, type, dataUrl: `data:${type};base64,${bytes.toString('base64')}` };
}
