"""`python -m engine.flex.emulator --port 8099`: run the Flex emulator on its own (Hypercorn).

With --port 0 a free port is chosen; the first line printed is always the emulator's URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

from engine.flex.emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, create_emulator
from engine.flex.emulator.specs import CHECKOUT_DEFAULT, NPM_PACKAGE, SPECS_ENV, cache_dir, fetch_specs
from engine.server import start_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.flex.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN))
    parser.add_argument("--receipts", type=Path, help="append one JSON line per message received")
    parser.add_argument("--no-spec-check", action="store_true", help="skip the OpenAPI contract check")
    parser.add_argument(
        "--specs",
        type=Path,
        help=f"folder of Twilio's OpenAPI specs (default: ${SPECS_ENV}, then {CHECKOUT_DEFAULT})",
    )
    parser.add_argument(
        "--fetch-specs",
        action="store_true",
        help=f"download the specs with `npm pack {NPM_PACKAGE}` and exit",
    )
    parser.add_argument("--sign-as", help="base URL to sign webhooks for, instead of the configured URL")
    parser.add_argument("--deliver-to", help="base URL to deliver webhooks to, instead of the configured URL")
    args = parser.parse_args()
    if args.fetch_specs:
        print(fetch_specs(args.specs or cache_dir()), flush=True)
        return
    app = create_emulator(
        args.account_sid,
        args.auth_token,
        webhook_signing_url_override=args.sign_as,
        webhook_delivery_url_override=args.deliver_to,
        spec_check=not args.no_spec_check,
        receipts=args.receipts,
        specs=args.specs,
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = await start_server(app, args.host, args.port)
        print(server.url, flush=True)
        await stop.wait()
        await server.stop()

    asyncio.run(run())


if __name__ == "__main__":
    main()
