#!/usr/bin/env bash
# Guards the invariant that the `container` build (no default features)
# neither compiles nor links tokio, bollard, git2 or an HTTP stack, and
# that no leftover dbg!/todo!/unimplemented! sits in src/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=$(cargo tree --locked --no-default-features --edges normal,build --prefix none --format '{p}' | awk '{print $1}' | sort -u)
forbidden='^(tokio|bollard|git2|libgit2-sys|hyper|axum|reqwest|h2|http|openssl|openssl-sys)$'
if bad=$(grep -E "$forbidden" <<<"$deps"); then
  echo "check-lean: the lean container build pulls in: $bad" >&2
  exit 1
fi
allowed='^(waybill|serde|serde_core|serde_derive|serde_json|clap|clap_builder|clap_derive|clap_lex|chrono|thiserror|thiserror-impl|nix|libc|bitflags|cfg-if|cfg_aliases|memchr|itoa|ryu|zmij|num-traits|autocfg|proc-macro2|quote|syn|unicode-ident|heck|anstyle|strsim)$'
if extra=$(grep -vE "$allowed" <<<"$deps"); then
  echo "check-lean: unexpected crates in the lean container build (review, then extend the list):" >&2
  echo "$extra" >&2
  exit 1
fi

if hits=$(grep -rnE '\b(dbg!|todo!|unimplemented!)' src); then
  echo "check-lean: leftovers in src/:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-lean: ok ($(wc -l <<<"$deps") crates in the lean build)"
