// fetchWithRetry of the Mira Verify API's error documentation
// (shared/seeds/mira-verify-api-errors.txt, "Retry with Exponential
// Backoff"), runnable. The seed is TypeScript; this is the same logic as
// plain JavaScript for node (the type annotations dropped, nothing else).
// The URL comes from the command line; the caller is the seed's own
// handling of a response that is not ok (its switch on the status).
// Flaws kept: parseInt(Retry-After) reads an HTTP-date or "soon" as NaN
// (sleep(NaN) waits 0 ms); a 429 without Retry-After waits 60 s; every
// status from 500 up is retried with 1, 2, 4 s and no jitter; 4xx are
// returned to the caller (not retried).
//
//     node mira_verify_fetch_with_retry.mjs URL
const URL = process.argv[2];

async function fetchWithRetry(fn, maxRetries = 3) {
  for (let i = 0; i < maxRetries; i++) {
    try {
      const response = await fn();

      if (response.status === 429) {
        const retryAfter = parseInt(
          response.headers.get('Retry-After') || '60'
        );
        await sleep(retryAfter * 1000);
        continue;
      }

      if (response.status >= 500) {
        await sleep(Math.pow(2, i) * 1000); // Exponential backoff
        continue;
      }

      return response;
    } catch (error) {
      if (i === maxRetries - 1) throw error;
      await sleep(Math.pow(2, i) * 1000);
    }
  }

  throw new Error('Max retries exceeded');
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

// The seed's handling of the response.
const response = await fetchWithRetry(() => fetch(URL, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ claim: 'The sky is blue' }),
}));

if (!response.ok) {
  const error = await response.json();

  switch (response.status) {
    case 401:
      throw new Error(`Authentication failed: ${error.message}`);
    case 402:
      throw new Error('Insufficient balance - please add funds');
    case 429:
      const retryAfter = response.headers.get('Retry-After');
      throw new Error(`Rate limited - retry after ${retryAfter}s`);
    default:
      throw new Error(`API error: ${error.message}`);
  }
}

console.log(await response.text());
