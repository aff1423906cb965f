// The JavaScript (Node.js) retry loop of the Mira chat API's error
// documentation (shared/seeds/mira-chat-api-errors.txt, "Retry logic in
// JavaScript"), runnable: the URL comes from the command line instead of
// the hard-coded host. Everything else is the seed's logic, flaws
// included: parseInt(Retry-After) reads an HTTP-date or "soon" as NaN, and
// setTimeout(NaN) waits 0 ms; a 429 without Retry-After waits 60 s.
//
//     MIRA_API_KEY=demo node mira_chat_fetch.mjs URL
const URL = process.argv[2];

async function callMiraAPI(messages, maxRetries = 5) {
  const url = URL;

  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Authorization": `Bearer ${process.env.MIRA_API_KEY}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ model: "mira", messages }),
    });

    if (response.ok) {
      return await response.json();
    }

    if (response.status === 429) {
      const retryAfter = parseInt(response.headers.get("Retry-After") || "60", 10);
      console.log(`Rate limited. Waiting ${retryAfter}s...`);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      continue;
    }

    if (response.status === 500 || response.status === 503) {
      const delay = Math.min(2 ** attempt, 60) * 1000;
      console.log(`Server error ${response.status}. Retrying in ${delay / 1000}s...`);
      await new Promise((r) => setTimeout(r, delay));
      continue;
    }

    // Non-retryable error
    const error = await response.json();
    throw new Error(`API error ${response.status}: ${error.error.message}`);
  }

  throw new Error("Max retries exceeded");
}

// Usage
const result = await callMiraAPI([{ role: "user", content: "Hello" }]);
console.log(result.choices[0].message.content);
