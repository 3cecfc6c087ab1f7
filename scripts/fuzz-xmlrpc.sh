#!/usr/bin/env bash
# The XML-RPC decoder's fuzzer: `scripts/fuzz.sh xmlrpc`, kept under its old name.
exec "$(dirname "$0")/fuzz.sh" xmlrpc "$@"
