/**
 * What the qrcode package writes for an SVG: one <svg> with a viewBox, and <path>s of a colour
 * and a drawing (moves and lines, numbers) only. Nothing that runs, links, loads or styles.
 */
const QR_SVG =
  /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="[0-9 .]+" shape-rendering="crispEdges">(?:<path (?:fill|stroke)="#[0-9a-f]{6}" d="[MmHhVvZz0-9 .-]+"\/>)+<\/svg>\s*$/;

/**
 * The QR code of a two-step set-up (TwoStepService's `qrSvg`), checked before the settings page
 * puts it into its HTML unescaped. It is made by the qrcode package from the otpauth:// URL, never
 * from what someone typed; the check keeps it that way should the package's output ever change
 * (e.g. a label or a script): anything but the expected shapes is refused, as a bug.
 */
export function qrCodeMarkup(svg: string): string {
  if (!QR_SVG.test(svg)) throw new Error('The QR code is not the SVG expected from qrcode');
  return svg.trim();
}
