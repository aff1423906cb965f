"""make_request_with_retry of the MiMo API's error documentation
(shared/seeds/mimo-api-errors.txt, "Exponential Backoff Strategy"),
runnable. The function it retries sends the request with requests and
raises on any HTTP error (raise_for_status), as the seed's "except
Exception" expects. The seed's logic is kept: every error is retried
(a 400 too), Retry-After is never read, the delay is
min(2 ** attempt + random.random(), 60) seconds, five attempts.

    python3 mimo_retry.py URL
"""
import random
import sys
import time

import requests

URL = sys.argv[1]


def make_request_with_retry(func, max_retries=5):
    for attempt in range(max_retries):
        try:
            return func()
        except Exception as e:
            if attempt == max_retries - 1:
                raise e
            # Exponential backoff with jitter
            delay = min(2 ** attempt + random.random(), 60)
            print(f"Request failed, retrying in {delay:.1f}s... (attempt {attempt + 1}/{max_retries})")
            time.sleep(delay)


def call():
    response = requests.post(URL, json={"model": "mimo-v2-flash", "messages": [{"role": "user", "content": "Hello"}]})
    response.raise_for_status()
    return response.json()


result = make_request_with_retry(call)
print(result["choices"][0]["message"]["content"])
