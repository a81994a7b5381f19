/**
 * Waits until `check` holds, checking every `intervalMs`, and throws past `timeoutMs`. Every wait in
 * the tests has a deadline: an unbounded poll outlives its failed test and keeps jest from exiting.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 20, what = 'a condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
