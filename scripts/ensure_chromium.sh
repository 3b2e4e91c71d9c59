#!/usr/bin/env bash
# The browser tests drive Debian's chromium (a tool's own browser download does not work everywhere).
# Install it when it is missing and we are allowed to; otherwise the browser tests skip and say why.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium from Debian's packages for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium: the browser tests will be skipped"
else
  echo "chromium is not installed (run: sudo apt-get install chromium): the browser tests will be skipped"
fi
exit 0
