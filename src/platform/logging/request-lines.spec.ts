import { pino } from 'pino';
import { Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { RequestLines } from './request-lines';

/** A stream that keeps what is written to it. */
function capture(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  return { stream, written };
}

describe('RequestLines', () => {
  it("writes exactly the line pino's info writes for the same fields", () => {
    const fields = {
      req: {
        id: 'a1b2-"quoted"',
        method: 'GET',
        url: '/me?x=é&y=\u2028',
        userAgent: 'curl/8.5.0 "with quotes" \\ and a backslash',
        remoteAddress: '::ffff:127.0.0.1',
      },
      res: { statusCode: 200 },
      responseTime: 3,
      userId: '665f1c2e9b1e8a0012345678',
    };
    const fromPino = capture();
    pino({ level: 'info' }, fromPino.stream).info(fields, 'request completed');
    const ours = capture();
    const time = (JSON.parse(fromPino.written[0]) as { time: number }).time;
    const lines = new RequestLines(ours.stream);
    lines.write(fields, 'request completed', time);
    lines.flush();
    expect(ours.written).toEqual(fromPino.written);
  });

  it('hands the lines of a moment to the stream in one write, in order', async () => {
    const { stream, written } = capture();
    const lines = new RequestLines(stream);
    lines.write({ n: 1 }, 'request completed', 1);
    await new Promise((resolve) => setImmediate(resolve));
    lines.write({ n: 2 }, 'request completed', 2);
    expect(written).toEqual([]);
    // Within a moment (100 ms): waited for up to two seconds.
    for (let waited = 0; written.length === 0 && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(written).toHaveLength(1);
    expect(
      written[0]
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as object),
    ).toEqual([
      expect.objectContaining({ n: 1, time: 1 }),
      expect.objectContaining({ n: 2, time: 2 }),
    ]);
    lines.write({ n: 3 }, 'request completed', 3);
    lines.flush();
    expect(written).toHaveLength(2);
  });

  it('writes at once when the lines waiting grow large', () => {
    const { stream, written } = capture();
    const lines = new RequestLines(stream);
    const long = 'x'.repeat(1000);
    for (let n = 0; n < 100 && written.length === 0; n++)
      lines.write({ n, long }, 'request completed');
    expect(written).toHaveLength(1);
    lines.flush();
  });

  it('writes what waits when the process exits', () => {
    const script = `
      const { RequestLines } = require(${JSON.stringify(require.resolve('./request-lines.ts'))});
      new RequestLines(process.stdout).write({ n: 1 }, 'request completed');
      process.exitCode = 0;
    `;
    // Node 24 runs the TypeScript source itself.
    const output = execFileSync(
      process.execPath,
      ['--experimental-transform-types', '--no-warnings', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toMatchObject({ n: 1, msg: 'request completed' });
  });
});
