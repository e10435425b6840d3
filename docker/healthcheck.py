"""The image's HEALTHCHECK: exit 0 when /health/ on this container's $PORT answers 200.

Standard library only, so the image needs no curl; it follows $PORT, which
Railway chooses, instead of assuming 8000. /health/ itself checks PostgreSQL
and Redis and answers 503 naming what is down.
"""

import http.client
import os
import sys


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/health/", headers={"User-Agent": "docker-healthcheck"})
        response = connection.getresponse()
        body = response.read(300).decode(errors="replace")
    except OSError as exc:
        sys.stdout.write(f"unhealthy: {type(exc).__name__} on port {port}\n")
        return 1
    finally:
        connection.close()
    sys.stdout.write(f"{response.status} {body}\n")
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
