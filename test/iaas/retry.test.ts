import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelayMs, defaultRetryPolicy, parseRetryAfter } from '../../src/iaas/retry.ts';

describe('retry policy', () => {
  test('Retry-After as seconds or HTTP-date; anything else is ignored', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 12:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now), 0, 'a past date means now');
    assert.equal(parseRetryAfter('1.5', now), undefined);
    assert.equal(parseRetryAfter('-1', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  test('backoff grows exponentially with jitter and stays under the cap', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelayMs(1, p, () => 0),
      50,
    );
    assert.equal(
      backoffDelayMs(1, p, () => 1),
      100,
    );
    assert.equal(
      backoffDelayMs(3, p, () => 1),
      400,
    );
    assert.equal(
      backoffDelayMs(10, p, () => 1),
      1000,
    );
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(4, p);
      assert.ok(d >= 400 && d <= 800, String(d));
    }
  });
});
