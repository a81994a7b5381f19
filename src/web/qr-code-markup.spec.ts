import { toString as qrCodeSvg } from 'qrcode';
import { qrCodeMarkup } from './qr-code-markup';

describe('qrCodeMarkup', () => {
  const url =
    'otpauth://totp/Accounts:ada%40example.com?issuer=Accounts&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30';

  it("takes the qrcode package's SVG as it is", async () => {
    const svg = await qrCodeSvg(url, { type: 'svg', margin: 1 });
    expect(qrCodeMarkup(svg)).toBe(svg.trim());
    expect(qrCodeMarkup(svg)).toMatch(/^<svg [^>]*>(<path [^>]*\/>)+<\/svg>$/);
  });

  it.each([
    [
      'a script',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"><script>alert(1)</script></svg>',
    ],
    [
      'an event handler',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges" onload="alert(1)"><path fill="#ffffff" d="M0 0h1v1H0z"/></svg>',
    ],
    [
      'a path with another attribute',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h1v1H0z" onclick="x()"/></svg>',
    ],
    [
      'a style',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h1v1H0z"/><style>*{}</style></svg>',
    ],
    [
      'a link',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"><a href="javascript:x()"><path fill="#ffffff" d="M0 0h1v1H0z"/></a></svg>',
    ],
    [
      'text around it',
      '<p>hi</p><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h1v1H0z"/></svg>',
    ],
    [
      'no drawing',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" shape-rendering="crispEdges"></svg>',
    ],
  ])('refuses an SVG with %s', (_what, svg) => {
    expect(() => qrCodeMarkup(svg)).toThrow('The QR code is not the SVG expected from qrcode');
  });
});
