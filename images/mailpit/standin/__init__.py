"""berth-local/mailpit: a stand-in for Mailpit (axllent/mailpit) built from aiosmtpd and the
Python standard library: SMTP on 1025, a subset of Mailpit's HTTP API on 8025."""
