#!/usr/bin/env python3
"""Loopback SMTP sink for tests (research/smtp.md §4.1): an aiosmtpd server that stores every
message in a Maildir (raw bytes as received, envelope headers in front), with optional AUTH and
TLS. Run with Debian's /usr/bin/python3 (python3-aiosmtpd).

modes: plain (no STARTTLS offered) | starttls (STARTTLS offered and required before AUTH/MAIL)
       | smtps (implicit TLS)

Each stored file starts with headers the sink adds:
  Return-Path, Envelope-To (accepted recipients), X-Auth-User (login, empty without AUTH),
  X-Sink-Session (the client's address:port: one value per SMTP connection),
  X-Sink-TLS (yes when the session was encrypted).
With --stall-after N the sink stores N messages and then never answers the end of data of
the next one (a client waiting for the 250, to be killed there).
With --log-commands every received command line is logged on stderr as "<peer> >> b'...'".
Prints "READY <host>:<port> <mode>" on stdout once listening; stops on SIGTERM/SIGINT.
"""
import argparse, asyncio, itertools, logging, os, signal, ssl, time
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_seq = itertools.count()


class MaildirSink:
    def __init__(self, root, refuse, reject_data, stall_after=None):
        self.root = root
        self.refuse = {r.lower() for r in refuse}
        self.reject_data = reject_data
        self.stall_after = stall_after
        self.stored = 0
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reject_data:
            return "554 5.6.0 Message rejected by the test sink (--reject-data)"
        if self.stall_after is not None and self.stored >= self.stall_after:
            # Never answer: the client waits after its end of data until the sink stops.
            await asyncio.Event().wait()
        ad = session.auth_data
        login = ad.login.decode() if isinstance(ad, LoginPassword) else ""
        tls = server.transport.get_extra_info("ssl_object") is not None
        peer = "%s:%s" % (session.peer[0], session.peer[1]) if session.peer else "?"
        head = ("Return-Path: <%s>\r\nEnvelope-To: %s\r\nX-Auth-User: %s\r\n"
                "X-Sink-Session: %s\r\nX-Sink-TLS: %s\r\n"
                % (envelope.mail_from, ", ".join(envelope.rcpt_tos), login, peer,
                   "yes" if tls else "no")).encode()
        name = "%d.P%d_%d.localhost" % (time.time_ns(), os.getpid(), next(_seq))
        tmp = os.path.join(self.root, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head + envelope.original_content)  # bytes exactly as received
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.root, "new", name))  # readers see whole files
        self.stored += 1
        return "250 2.0.0 Ok: stored"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="0 = pick a free port")
    p.add_argument("--mode", choices=["plain", "starttls", "smtps"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--maildir", required=True)
    p.add_argument("--auth", help="USER:PASS enables AUTH PLAIN/LOGIN")
    p.add_argument("--require-auth", action="store_true")
    p.add_argument("--refuse", action="append", default=[],
                   help="answer RCPT TO:<ADDR> with 550 (repeatable)")
    p.add_argument("--reject-data", action="store_true", help="answer DATA with 554")
    p.add_argument("--stall-after", type=int, metavar="N",
                   help="store N messages, then never answer the end of data of the next")
    p.add_argument("--log-commands", action="store_true",
                   help="log every command line received (aiosmtpd's '>>' lines) on stderr")
    a = p.parse_args()
    if a.log_commands:
        logging.basicConfig(level=logging.INFO, format="%(message)s")

    ctx = None
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    user = pw = None
    if a.auth:
        user, pw = a.auth.split(":", 1)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user and auth_data.password.decode() == pw)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    handler = MaildirSink(a.maildir, a.refuse, a.reject_data, a.stall_after)

    def factory():
        return SMTP(handler,
                    hostname="localhost",
                    tls_context=ctx if a.mode == "starttls" else None,
                    require_starttls=(a.mode == "starttls"),
                    authenticator=authenticator if a.auth else None,
                    auth_required=a.require_auth,
                    # plain port: AUTH without TLS (loopback tests only); smtps: aiosmtpd does
                    # not mark implicit-TLS sessions as TLS (aio-libs/aiosmtpd#281)
                    auth_require_tls=(a.mode == "starttls"))

    loop = asyncio.new_event_loop()
    srv = loop.run_until_complete(loop.create_server(
        factory, host=a.host, port=a.port, ssl=ctx if a.mode == "smtps" else None))
    port = srv.sockets[0].getsockname()[1]  # the real port when --port 0
    print("READY %s:%d %s" % (a.host, port, a.mode), flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    loop.run_until_complete(stop.wait())
    srv.close()
    loop.run_until_complete(srv.wait_closed())


if __name__ == "__main__":
    main()
