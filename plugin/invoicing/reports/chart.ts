/**
 * Bar charts as SVG text (pure): data in, markup out, for the report and account pages. No
 * script, no external reference, every label escaped, so the markup is safe to print as is.
 * Values are bigints (minor units, bytes) and are scaled with integer arithmetic; negative
 * values (credits) hang below a zero line.
 */
export interface Bar {
  label: string;
  value: bigint;
}

export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  /** How a value prints in its tooltip and on the axis ("12.50 EUR", "1.20 GB"). */
  format: (value: bigint) => string;
  width?: number;
  height?: number;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `value * span / range` in whole pixels, rounded down, without passing through a float. */
function scale(value: bigint, span: number, range: bigint): number {
  if (range === 0n) return 0;
  return Number((value * BigInt(span)) / range);
}

const TOP = 28;
const BOTTOM = 36;
const LEFT = 8;

export function barChartSvg(o: BarChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 220;
  const plot = height - TOP - BOTTOM;
  const max = o.bars.reduce((m, b) => (b.value > m ? b.value : m), 0n);
  const min = o.bars.reduce((m, b) => (b.value < m ? b.value : m), 0n);
  const range = max - min;
  const zeroY = TOP + scale(max, plot, range === 0n ? 1n : range);
  const title = escapeXml(o.title);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" style="max-width:100%;height:auto" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    `<text x="${LEFT}" y="16" font-size="13" font-weight="600">${title}</text>`,
  ];
  if (o.bars.length === 0) {
    parts.push(`<text x="${LEFT}" y="${TOP + 20}" font-size="12" fill="#5b6575">No data for this selection.</text>`, '</svg>');
    return parts.join('');
  }
  const slot = Math.max(1, Math.floor((width - 2 * LEFT) / o.bars.length));
  const bar = Math.max(1, Math.floor(slot * 0.7));
  // Labels would overlap on dense charts: print every n-th, the tooltips name each bar anyway.
  const every = Math.max(1, Math.ceil(o.bars.length / Math.max(1, Math.floor((width - 2 * LEFT) / 56))));
  o.bars.forEach((b, i) => {
    const x = LEFT + i * slot + Math.floor((slot - bar) / 2);
    const h = scale(b.value < 0n ? -b.value : b.value, plot, range === 0n ? 1n : range);
    const y = b.value < 0n ? zeroY : zeroY - h;
    const label = escapeXml(b.label);
    const value = escapeXml(o.format(b.value));
    parts.push(`<rect x="${x}" y="${y}" width="${bar}" height="${h}" fill="${b.value < 0n ? '#b42318' : '#0b63ce'}"><title>${label}: ${value}</title></rect>`);
    if (i % every === 0) parts.push(`<text x="${x + Math.floor(bar / 2)}" y="${height - BOTTOM + 16}" font-size="11" text-anchor="middle">${label}</text>`);
  });
  parts.push(`<line x1="${LEFT}" y1="${zeroY}" x2="${width - LEFT}" y2="${zeroY}" stroke="#5b6575" stroke-width="1"/>`);
  parts.push(`<text x="${width - LEFT}" y="${height - 6}" font-size="11" text-anchor="end" fill="#5b6575">max ${escapeXml(o.format(max))}${min < 0n ? `, min ${escapeXml(o.format(min))}` : ''}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
