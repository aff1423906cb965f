"""The Python retry loop of the Mira chat API's error documentation
(shared/seeds/mira-chat-api-errors.txt, "Retry logic in Python"), runnable:
the URL comes from the command line instead of the hard-coded host.
Everything else is the seed's logic, flaws included: int(Retry-After)
raises on an HTTP-date or an invalid value, a 429 without Retry-After
waits 60 s, and 500/503 back off 1, 2, 4, … s without jitter.

    MIRA_API_KEY=demo python3 mira_chat_requests.py URL
"""
import os
import sys
import time
import requests

URL = sys.argv[1]


def call_mira_api(messages, max_retries=5):
    url = URL
    headers = {
        "Authorization": f"Bearer {os.environ['MIRA_API_KEY']}",
        "Content-Type": "application/json",
    }
    payload = {"model": "mira", "messages": messages}

    for attempt in range(max_retries):
        response = requests.post(url, headers=headers, json=payload)

        if response.status_code == 200:
            return response.json()

        if response.status_code == 429:
            retry_after = int(response.headers.get("Retry-After", 60))
            print(f"Rate limited. Waiting {retry_after}s...")
            time.sleep(retry_after)
            continue

        if response.status_code in (500, 503):
            delay = min(2 ** attempt, 60)  # 1, 2, 4, 8, 16, max 60s
            print(f"Server error {response.status_code}. Retrying in {delay}s...")
            time.sleep(delay)
            continue

        # Non-retryable error
        response.raise_for_status()

    raise Exception("Max retries exceeded")


# Usage
result = call_mira_api([{"role": "user", "content": "Hello"}])
print(result["choices"][0]["message"]["content"])
