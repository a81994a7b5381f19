import { AppError } from '../../platform/http/app-error';

/** What a client whose job timed out in the queue is told to wait before trying again. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

export interface HashSchedulerOptions {
  /** Jobs allowed to run at once. */
  concurrency: number;
  /** How long a job may wait for a free slot before it fails with BUSY. */
  queueTimeoutMs: number;
}

interface WaitingJob {
  start(): void;
  timer: NodeJS.Timeout;
}

/**
 * Runs expensive jobs (argon2 hashing) at most `concurrency` at a time. Jobs that find every slot
 * taken wait in a queue of their key (an account), and keys take turns: each free slot goes to the
 * next key in round-robin order. So a flood of jobs on one key delays another key's job by about one
 * job per slot, not by the whole flood. A job still waiting after `queueTimeoutMs` fails with
 * `BUSY` (503) and is dropped; a job that has started always runs to the end.
 *
 * No npm package does keyed round-robin with queue deadlines (p-queue is FIFO/priority and times out
 * running jobs, not waiting ones), hence this small one.
 */
export class HashScheduler {
  private active = 0;
  private queued = 0;
  /** Waiting jobs per key. The Map's insertion order is the round-robin order of the keys. */
  private readonly queues = new Map<string, WaitingJob[]>();

  constructor(private readonly options: HashSchedulerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('concurrency must be a positive integer');
    }
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.queued;
  }

  /**
   * Runs `job` for `key` when a slot is free and it is this key's turn; rejects with BUSY past the
   * deadline. Once `signal` aborts, a job that has not started never does (it rejects with the
   * signal's reason); one that has runs to the end.
   */
  run<T>(key: string, job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    // Free slots imply an empty queue: nobody is passed over.
    if (this.active < this.options.concurrency) return this.execute(job);
    return new Promise<T>((resolve, reject) => {
      const abandon = () => {
        clearTimeout(waiting.timer);
        this.dequeue(key, waiting);
        reject(signal!.reason as Error);
      };
      const waiting: WaitingJob = {
        start: () => {
          clearTimeout(waiting.timer);
          signal?.removeEventListener('abort', abandon);
          this.execute(job).then(resolve, reject);
        },
        timer: setTimeout(() => {
          signal?.removeEventListener('abort', abandon);
          this.dequeue(key, waiting);
          reject(busy());
        }, this.options.queueTimeoutMs),
      };
      signal?.addEventListener('abort', abandon, { once: true });
      const queue = this.queues.get(key);
      if (queue) queue.push(waiting);
      else this.queues.set(key, [waiting]);
      this.queued += 1;
    });
  }

  private async execute<T>(job: () => Promise<T>): Promise<T> {
    this.active += 1;
    try {
      return await job();
    } finally {
      this.active -= 1;
      this.startNext();
    }
  }

  /** Gives the freed slot to the first job of the key whose turn it is; that key goes to the back. */
  private startNext(): void {
    const turn = this.queues.entries().next();
    if (turn.done) return;
    const [key, queue] = turn.value;
    const next = queue.shift()!;
    this.queues.delete(key);
    if (queue.length > 0) this.queues.set(key, queue);
    this.queued -= 1;
    next.start();
  }

  private dequeue(key: string, waiting: WaitingJob): void {
    const queue = this.queues.get(key);
    const index = queue?.indexOf(waiting) ?? -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    if (queue.length === 0) this.queues.delete(key);
    this.queued -= 1;
  }
}

function busy(): AppError {
  return new AppError(
    'BUSY',
    'The service is busy; try again in a moment.',
    undefined,
    BUSY_RETRY_AFTER_SECONDS,
  );
}
