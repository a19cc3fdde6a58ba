import { expect } from 'chai';
import { barChartSvg, escapeXml } from '../../../../../plugin/invoicing/reports/chart.js';

const heights = (svg: string) => [...svg.matchAll(/<rect [^>]*height="(\d+)"/g)].map((m) => Number(m[1]));
const ys = (svg: string) => [...svg.matchAll(/<rect [^>]*y="(\d+)"/g)].map((m) => Number(m[1]));

describe('SVG bar charts', () => {
  it('escapes every label and the title, and carries no script or external reference', () => {
    const svg = barChartSvg({ title: 'Top <b>"accounts"</b>', bars: [{ label: '<script>alert(1)</script>', value: 5n }], format: (v) => `${v} & co` });
    expect(svg).not.to.contain('<script>');
    expect(svg).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).to.contain('Top &lt;b&gt;&quot;accounts&quot;&lt;/b&gt;');
    expect(svg).to.contain('5 &amp; co');
    expect(svg).not.to.match(/href|<script|javascript:|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(escapeXml(`'&`)).to.equal('&#39;&amp;');
  });

  it('scales bars to the largest value in integers, even beyond 2^53', () => {
    const big = 2n ** 62n;
    const svg = barChartSvg({ title: 't', bars: [{ label: 'a', value: big }, { label: 'b', value: big / 2n }, { label: 'c', value: 0n }], format: String, height: 220 });
    // Plot height is 220 - 28 - 36 = 156 pixels.
    expect(heights(svg)).to.deep.equal([156, 78, 0]);
  });

  it('hangs negative values (credits) below the zero line', () => {
    const svg = barChartSvg({ title: 't', bars: [{ label: 'in', value: 300n }, { label: 'out', value: -100n }], format: String, height: 220 });
    expect(heights(svg)).to.deep.equal([117, 39]);
    const [up, down] = ys(svg);
    expect(up! + 117).to.equal(down); // the credit starts where the positive bar ends: at zero
    expect(svg).to.contain('#b42318');
  });

  it('says so when there is nothing to draw', () => {
    expect(barChartSvg({ title: 'Empty', bars: [], format: String })).to.contain('No data for this selection.');
  });
});
