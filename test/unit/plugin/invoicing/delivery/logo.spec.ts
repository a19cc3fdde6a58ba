import { expect } from 'chai';
import { checkLogo, MAX_LOGO_BYTES } from '../../../../../plugin/invoicing/delivery/logo.js';

export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('the invoice logo check', () => {
  it('takes a PNG and a JPEG by their first bytes, as data URLs', () => {
    const png = checkLogo(TINY_PNG);
    expect(png).to.deep.equal({ ok: true, type: 'image/png', dataUrl: `data:image/png;base64,${TINY_PNG.toString('base64')}` });
    const jpeg = checkLogo(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(20)]));
    expect(jpeg.ok && jpeg.type).to.equal('image/jpeg');
  });

  it('refuses HTML, whatever the file is called', () => {
    const r = checkLogo(Buffer.from('<html><script>alert(1)</script></html>'));
    expect(r).to.deep.equal({ ok: false, message: 'the file is not a PNG, JPEG or SVG image (its content was checked, not its name)' });
  });

  it('takes a plain SVG and refuses one with script, foreignObject, handlers or outside references', () => {
    expect(checkLogo(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use href="#g"/></svg>')).ok).to.equal(true);
    const refused = (svg: string) => {
      const r = checkLogo(Buffer.from(svg));
      return r.ok ? null : r.message;
    };
    expect(refused('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')).to.equal('the SVG is refused: it contains a script');
    expect(refused('<svg><foreignObject><div/></foreignObject></svg>')).to.equal('the SVG is refused: it contains a foreignObject');
    expect(refused('<svg onload="alert(1)"></svg>')).to.equal('the SVG is refused: it contains an event handler (on…=)');
    expect(refused('<svg><image href="https://tracker.example/p.png"/></svg>')).to.equal('the SVG is refused: it refers to something outside itself (href)');
    expect(refused('<svg><rect style="fill:url(https://x.example/a)"/></svg>')).to.equal('the SVG is refused: it refers to something outside itself (url())');
  });

  it('refuses an empty file and one over 512 KB', () => {
    expect(checkLogo(Buffer.alloc(0)).ok).to.equal(false);
    const big = Buffer.concat([TINY_PNG, Buffer.alloc(MAX_LOGO_BYTES)]);
    expect(checkLogo(big)).to.deep.equal({ ok: false, message: 'the logo is larger than 512 KB' });
  });
});
