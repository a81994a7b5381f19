import { AppError } from '../../platform/http/app-error';
import { BUSY_RETRY_AFTER_SECONDS, HashScheduler } from './hash-scheduler';

/** A job the test finishes by hand, recording when it starts. */
function controlledJob(name: string, started: string[]) {
  let finish!: (value: string) => void;
  let fail!: (error: unknown) => void;
  const job = () => {
    started.push(name);
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return {
    job,
    finish: () => finish(name),
    fail: (error: unknown) => fail(error),
  };
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('HashScheduler', () => {
  it('runs at most `concurrency` jobs at once and starts waiting ones as slots free', async () => {
    const scheduler = new HashScheduler({ concurrency: 2, queueTimeoutMs: 60_000 });
    const started: string[] = [];
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((name) => controlledJob(name, started));
    const results = jobs.map(({ job }, i) => scheduler.run(`key${i}`, job));

    expect(started).toEqual(['a', 'b']);
    expect([scheduler.running, scheduler.waiting]).toEqual([2, 3]);

    jobs[1].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    expect([scheduler.running, scheduler.waiting]).toEqual([2, 2]);

    jobs[0].finish();
    jobs[2].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([scheduler.running, scheduler.waiting]).toEqual([2, 0]);
    jobs[3].finish();
    jobs[4].finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([scheduler.running, scheduler.waiting]).toEqual([0, 0]);
  });

  it('gives slots to keys in turn, so a flood on one key does not hold back another', async () => {
    const { started, jobs, submit } = oneSlotScheduler();
    const results = [
      ...['f0', 'f1', 'f2', 'f3', 'f4', 'f5'].map((name) => submit('flood', name)),
      submit('other', 'o1'),
    ];
    await runOneByOne(started, jobs, results);

    // o1 waits for the running job and at most one more of the flood, not for all of it.
    expect(started).toEqual(['f0', 'f1', 'o1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('interleaves several keys round-robin, each keeping its own order', async () => {
    const { started, jobs, submit } = oneSlotScheduler();
    const results = [
      submit('x', 'x1'),
      submit('a', 'a1'),
      submit('a', 'a2'),
      submit('a', 'a3'),
      submit('b', 'b1'),
      submit('b', 'b2'),
      submit('b', 'b3'),
      submit('c', 'c1'),
    ];
    await runOneByOne(started, jobs, results);
    expect(started).toEqual(['x1', 'a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'b3']);
  });

  describe('deadlines', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('fails a job that waits past its deadline with BUSY, and never runs it', async () => {
      const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 1000 });
      const started: string[] = [];
      const blocker = controlledJob('blocker', started);
      const late = controlledJob('late', started);
      const blocking = scheduler.run('a', blocker.job);
      const waiting = scheduler.run('b', late.job);
      const outcome = waiting.catch((error: unknown) => error);

      await jest.advanceTimersByTimeAsync(999);
      expect(scheduler.waiting).toBe(1);
      await jest.advanceTimersByTimeAsync(1);

      const error = await outcome;
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'BUSY',
        status: 503,
        retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
      });
      expect(scheduler.waiting).toBe(0);

      blocker.finish();
      await blocking;
      expect(started).toEqual(['blocker']);
      expect(scheduler.running).toBe(0);
    });

    it('lets a job that started in time run past the deadline', async () => {
      const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 1000 });
      const started: string[] = [];
      const first = controlledJob('first', started);
      const second = controlledJob('second', started);
      const firstResult = scheduler.run('a', first.job);
      const secondResult = scheduler.run('a', second.job);

      await jest.advanceTimersByTimeAsync(500);
      first.finish();
      await jest.advanceTimersByTimeAsync(5000);
      second.finish();

      expect(await Promise.all([firstResult, secondResult])).toEqual(['first', 'second']);
    });

    it('drops a timed-out job from the middle of its queue and serves the rest in order', async () => {
      const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 1000 });
      const started: string[] = [];
      const blocker = controlledJob('blocker', started);
      const early = controlledJob('early', started);
      const later = controlledJob('later', started);
      const blocking = scheduler.run('a', blocker.job);
      const earlyResult = scheduler.run('k', early.job).catch((error: AppError) => error.code);
      await jest.advanceTimersByTimeAsync(600);
      const laterResult = scheduler.run('k', later.job);

      await jest.advanceTimersByTimeAsync(400);
      expect(await earlyResult).toBe('BUSY');
      blocker.finish();
      await blocking;
      await jest.advanceTimersByTimeAsync(0);
      later.finish();
      expect(await laterResult).toBe('later');
      expect(started).toEqual(['blocker', 'later']);
    });
  });

  it('passes a failing job’s error to its caller and frees the slot for the next job', async () => {
    const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 60_000 });
    const started: string[] = [];
    const failing = controlledJob('failing', started);
    const next = controlledJob('next', started);
    const failed = scheduler.run('a', failing.job);
    const nextResult = scheduler.run('b', next.job);

    const error = new Error('argon2 failed');
    failing.fail(error);
    await expect(failed).rejects.toBe(error);
    await settle();
    expect(started).toEqual(['failing', 'next']);
    next.finish();
    expect(await nextResult).toBe('next');
  });

  it('treats a job that throws at once like one that rejects', async () => {
    const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 60_000 });
    const thrown = new Error('thrown');
    await expect(
      scheduler.run('a', () => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(scheduler.running).toBe(0);
    expect(await scheduler.run('a', () => Promise.resolve('after'))).toBe('after');
  });

  it('drains a large mixed queue completely', async () => {
    const scheduler = new HashScheduler({ concurrency: 3, queueTimeoutMs: 60_000 });
    let peak = 0;
    const results = Array.from({ length: 200 }, (_unused, i) =>
      scheduler.run(`key${i % 7}`, async () => {
        peak = Math.max(peak, scheduler.running);
        await settle();
        return i;
      }),
    );
    expect(await Promise.all(results)).toEqual(Array.from({ length: 200 }, (_unused, i) => i));
    expect(peak).toBe(3);
    expect([scheduler.running, scheduler.waiting]).toEqual([0, 0]);
  });

  it('drops a waiting job whose signal aborts, never starting it; a running one runs on', async () => {
    const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 60_000 });
    const started: string[] = [];
    const [running, dropped, next] = ['running', 'dropped', 'next'].map((name) =>
      controlledJob(name, started),
    );
    const runningSignal = new AbortController();
    const droppedSignal = new AbortController();
    const results = [
      scheduler.run('a', running.job, runningSignal.signal),
      scheduler.run('b', dropped.job, droppedSignal.signal),
      scheduler.run('c', next.job),
    ];
    runningSignal.abort(new Error('too late'));
    droppedSignal.abort(new Error('not needed'));
    await expect(results[1]).rejects.toThrow('not needed');
    expect([scheduler.running, scheduler.waiting]).toEqual([1, 1]);

    running.finish();
    await expect(results[0]).resolves.toBe('running');
    await settle();
    next.finish();
    await expect(results[2]).resolves.toBe('next');
    expect(started).toEqual(['running', 'next']);
    expect([scheduler.running, scheduler.waiting]).toEqual([0, 0]);
    // Aborted before it is asked: never queued.
    await expect(
      scheduler.run('d', () => Promise.resolve('d'), droppedSignal.signal),
    ).rejects.toThrow('not needed');
  });

  it('refuses a concurrency below one', () => {
    expect(() => new HashScheduler({ concurrency: 0, queueTimeoutMs: 1000 })).toThrow(RangeError);
  });
});

/** A scheduler with one slot, recording the order in which submitted jobs start. */
function oneSlotScheduler() {
  const scheduler = new HashScheduler({ concurrency: 1, queueTimeoutMs: 60_000 });
  const started: string[] = [];
  const jobs = new Map<string, ReturnType<typeof controlledJob>>();
  const submit = (key: string, name: string) => {
    const job = controlledJob(name, started);
    jobs.set(name, job);
    return scheduler.run(key, job.job);
  };
  return { started, jobs, submit };
}

/** One job at a time: finish whichever started last until all have run. */
async function runOneByOne(
  started: string[],
  jobs: Map<string, { finish(): void }>,
  results: Promise<unknown>[],
): Promise<void> {
  for (let i = 0; i < jobs.size; i++) {
    jobs.get(started[i])!.finish();
    await settle();
  }
  await Promise.all(results);
}
